"""Precision/recall/density/coverage against the authors' reference package `prdc`."""

import contextlib
import io
import sys
import time

import numpy as np
import pytest
from helpers import fashion_mnist_available
from prdc import compute_prdc

from gankit.errors import GankitError
from gankit.metrics import density_coverage, prdc, precision_recall

PRDC_MODULE = sys.modules["gankit.metrics.prdc"]


def reference(real, fake, k):
    with contextlib.redirect_stdout(io.StringIO()):  # it prints the set sizes
        return {key: float(v) for key, v in compute_prdc(real, fake, k).items()}


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("shift", [0.0, 0.5, 2.0])
def test_equals_the_reference_package(k, shift):
    rng = np.random.default_rng(k * 10 + int(shift * 4))
    real = rng.normal(size=(600, 16))
    fake = rng.normal(size=(450, 16)) * 1.2 + shift
    got, want = prdc(real, fake, k=k), reference(real, fake, k)
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-6), key


def test_blocks_smaller_than_the_sets_give_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(7)
    real, fake = rng.normal(size=(300, 8)), rng.normal(size=(250, 8)) + 0.3
    whole = prdc(real, fake, k=5)
    monkeypatch.setattr(PRDC_MODULE, "BLOCK_ELEMENTS", 1000)  # 3-4 rows per block
    assert prdc(real, fake, k=5) == whole
    assert whole == pytest.approx(reference(real, fake, 5), abs=1e-6)


def test_named_subsets_use_their_own_k():
    rng = np.random.default_rng(8)
    real, fake = rng.normal(size=(400, 8)), rng.normal(size=(400, 8)) * 1.5
    pr, dc = precision_recall(real, fake), density_coverage(real, fake)
    r3, r5 = reference(real, fake, 3), reference(real, fake, 5)
    assert pr == pytest.approx({"precision": r3["precision"], "recall": r3["recall"]}, abs=1e-6)
    assert dc == pytest.approx({"density": r5["density"], "coverage": r5["coverage"]}, abs=1e-6)


def test_one_distribution_scores_near_one_and_disjoint_ones_zero():
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
    same = prdc(a, b, k=5)
    assert min(same["precision"], same["recall"], same["coverage"]) > 0.9
    assert same["density"] == pytest.approx(1.0, abs=0.1)
    apart = prdc(a, b + 100.0, k=5)
    assert apart == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_bad_input_is_a_clear_error():
    a = np.zeros((5, 3))
    with pytest.raises(GankitError, match="more than 5 points"):
        prdc(a, a, k=5)
    with pytest.raises(GankitError, match="width"):
        prdc(a, np.zeros((5, 4)), k=2)


@pytest.mark.slow
def test_ten_thousand_against_ten_thousand_in_seconds():
    rng = np.random.default_rng(10)
    real = rng.normal(size=(10_000, 128)).astype(np.float32)
    fake = rng.normal(size=(10_000, 128)).astype(np.float32)
    t0 = time.perf_counter()
    prdc(real, fake, k=5)
    # Seconds on an idle two-core machine; the bound leaves room for a busy CI runner.
    assert time.perf_counter() - t0 < 120


@pytest.mark.slow
@pytest.mark.skipif(not fashion_mnist_available(), reason="Fashion-MNIST not installed")
@pytest.mark.xdist_group("fashion-scores")  # one worker computes fashion_scores() once for fd, kid and prdc
def test_fashion_mnist_real_images_score_high_and_noise_low():
    from fashion_scores import fashion_scores

    s = fashion_scores()
    assert s["real"]["precision"] > 0.6 and s["real"]["recall"] > 0.6
    assert s["noise"]["precision"] < 0.1
    assert s["real"]["coverage"] > s["blurred"]["coverage"] > s["noise"]["coverage"]
