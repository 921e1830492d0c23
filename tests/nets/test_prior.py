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
