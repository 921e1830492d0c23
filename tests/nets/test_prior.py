import math

import pytest
import torch

from gankit.nets import sample_noise

COND = dict(conditional=True, z_dim=6, g_hidden=[16], d_hidden=[16])


@pytest.mark.parametrize("prior", ["uniform", "gaussian"])
def test_priors_have_unit_variance(prior):
    z = sample_noise(prior, 200_000, 2, torch.Generator().manual_seed(0))
    assert abs(z.mean().item()) < 0.01 and abs(z.var().item() - 1) < 0.01
    if prior == "uniform":
        assert z.abs().max() <= math.sqrt(3)


def test_truncation_scales_z_towards_the_mean_and_checks_its_prior_and_range():
    from gankit.errors import GankitError
    from gankit.nets.prior import truncate

    z = sample_noise("gaussian", 1000, 4, torch.Generator().manual_seed(1))
    assert torch.equal(truncate(z, "gaussian", 0.7), z * 0.7)
    assert truncate(z, "gaussian", 1.0) is z and truncate(z, "gaussian", None) is z
    # ψ·z ~ N(0, ψ² I): the spread of the draws shrinks by ψ
    assert float(truncate(z, "gaussian", 0.5).std()) == pytest.approx(0.5 * float(z.std()))
    for bad in (0, -0.5, 1.01, float("nan"), float("inf")):
        with pytest.raises(GankitError, match=r"--truncation must be in \(0, 1\]"):
            truncate(z, "gaussian", bad)
    with pytest.raises(GankitError, match="needs a Gaussian prior.*'uniform'"):
        truncate(z, "uniform", 0.7)
    assert truncate(z, "uniform", None) is z  # no truncation asked: any prior
