
import pytest
import torch

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.nets import build_discriminator, build_generator

COND = dict(conditional=True, z_dim=6, g_hidden=[16], d_hidden=[16])


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8)])
def test_conv_nets_fit_image_shapes(shape):
    cfg = ModelConfig(g="conv", d="conv", z_dim=10, conv_width=8)
    G, D = build_generator(cfg, shape, "image"), build_discriminator(cfg, shape, "image")
    x = G(torch.randn(4, 10))
    assert x.shape == (4, *shape) and 0 <= x.min() and x.max() <= 1
    assert D(x).shape == (4,)


def test_conv_nets_refuse_points_and_odd_sizes():

    with pytest.raises(GankitError, match="model.g = conv"):
        build_generator(ModelConfig(g="conv"), (2,), "points")
    with pytest.raises(GankitError, match="model.d = conv"):
        build_discriminator(ModelConfig(d="conv"), (1, 30, 30), "image")
