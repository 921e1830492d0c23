"""Section 4 of the paper on random 1-D mixtures: identities by quadrature, and a trained D."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import norm

from gankit.paper import theory
from gankit.paper.theory import (
    LOG4,
    Mixture1D,
    check_case,
    jsd,
    optimal_discriminator,
    total_variation,
    virtual_training_criterion,
)


@st.composite
def mixtures(draw):
    k = draw(st.integers(1, 3))
    means = draw(st.lists(st.floats(-5, 5), min_size=k, max_size=k))
    stds = draw(st.lists(st.floats(0.1, 2.0), min_size=k, max_size=k))
    weights = draw(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k))
    return Mixture1D(tuple(means), tuple(stds), tuple(weights))


def scipy_pdf(p: Mixture1D, x):
    return sum(w * norm.pdf(x, m, s) for m, s, w in zip(p.means, p.stds, p.weights))


def test_mixture_density_matches_scipy():
    p = Mixture1D((0.0, 3.0), (1.0, 0.3), (1.0, 3.0))
    x = np.linspace(-4, 6, 101)
    np.testing.assert_allclose(p.pdf(x), 0.25 * norm.pdf(x, 0, 1) + 0.75 * norm.pdf(x, 3, 0.3), rtol=1e-12)


def test_criterion_and_jsd_match_scipy_quad():
    """The fixed-rule quadrature against scipy's adaptive quad on the plain (not log-space) formulas."""
    pd, pg = Mixture1D((2.0,), (0.5,)), Mixture1D((0.5, 3.0), (0.4, 0.6), (0.3, 0.7))

    def c_integrand(x):
        a, b = scipy_pdf(pd, x), scipy_pdf(pg, x)
        return (a * math.log(a / (a + b)) if a > 0 else 0.0) + (b * math.log(b / (a + b)) if b > 0 else 0.0)

    def jsd_integrand(x):
        a, b = scipy_pdf(pd, x), scipy_pdf(pg, x)
        m = (a + b) / 2
        return 0.5 * (a * math.log(a / m) if a > 0 else 0.0) + 0.5 * (b * math.log(b / m) if b > 0 else 0.0)

    c_ref = integrate.quad(c_integrand, -15, 15, points=[0.5, 2.0, 3.0], limit=200, epsabs=1e-11)[0]
    j_ref = integrate.quad(jsd_integrand, -15, 15, points=[0.5, 2.0, 3.0], limit=200, epsabs=1e-11)[0]
    assert virtual_training_criterion(pd, pg) == pytest.approx(c_ref, abs=1e-8)
    assert jsd(pd, pg) == pytest.approx(j_ref, abs=1e-8)


def test_disjoint_supports_reach_log2():
    pd, pg = Mixture1D((-20.0,), (0.5,)), Mixture1D((20.0,), (0.5,))
    assert jsd(pd, pg) == pytest.approx(math.log(2), abs=1e-9)
    assert virtual_training_criterion(pd, pg) == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(mixtures(), mixtures())
def test_criterion_is_minus_log4_plus_twice_jsd(pd, pg):
    c, j = virtual_training_criterion(pd, pg), jsd(pd, pg)
    assert abs(c - (-LOG4 + 2 * j)) < 1e-6
    assert -1e-9 <= j <= math.log(2) + 1e-9
    assert c >= -LOG4 - 1e-9


@settings(max_examples=40, deadline=None)
@given(mixtures(), mixtures(), st.lists(st.floats(-10, 10), min_size=1, max_size=50))
def test_optimal_discriminator_is_a_probability_and_the_ratio(pd, pg, xs):
    x = np.array(xs)
    d = optimal_discriminator(pd, pg, x)
    assert np.all((d >= 0) & (d <= 1))
    a, b = scipy_pdf(pd, x), scipy_pdf(pg, x)
    ok = (a + b) > 1e-200  # where both densities underflow the plain ratio is 0/0
    np.testing.assert_allclose(d[ok], a[ok] / (a[ok] + b[ok]), rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(mixtures(), mixtures())
def test_minimum_only_at_equality(pd, pg):
    """C = −log 4 iff p_g = p_data: Pinsker gives JSD ≥ TV²/2, so C + log 4 ≥ TV², zero only at TV = 0."""
    c, tv = virtual_training_criterion(pd, pg), total_variation(pd, pg)
    assert c + LOG4 >= tv**2 - 1e-7
    assert virtual_training_criterion(pd, pd) == pytest.approx(-LOG4, abs=1e-9)
    np.testing.assert_allclose(optimal_discriminator(pd, pd, np.linspace(-8, 8, 33)), 0.5, atol=1e-15)


def test_trained_discriminator_approaches_d_star():
    pd, pg = theory.CASES["bimodal"]
    r = check_case("bimodal", pd, pg, steps=1500)
    assert r["d_err"] < theory.TOL_D
    assert r["C_trained_err"] < theory.TOL_C_TRAINED
    # A trained D is no better than the optimum (up to quadrature rounding).
    assert r["C_trained"] <= r["C"] + 1e-9


def test_trained_discriminator_at_equality_is_one_half():
    pd = Mixture1D((2.0,), (0.5,))
    r = check_case("equal", pd, pd, steps=500)
    assert r["d_err"] < theory.TOL_D
    assert r["C"] == pytest.approx(-LOG4, abs=1e-9)
    assert r["C_trained"] == pytest.approx(-LOG4, abs=theory.TOL_C_TRAINED)


def test_report_states_result_and_tolerances():
    fake = {"ok": False, "tolerances": {"identity": 1e-6, "d": 0.05, "c_trained": 0.01},
            "cases": [{"case": "x", "C": -1.0, "identity": -1.0, "identity_err": 0.0, "d_err": 0.2,
                       "C_trained": -1.1, "C_trained_err": 0.1}]}
    text = theory.report(fake)
    assert "OUT OF TOLERANCE" in text and "0.2000" in text and "0.05" in text
