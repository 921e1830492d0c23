
import torch

from gankit.config import ModelConfig
from gankit.nets import MLPDiscriminator, build_generator

COND = dict(conditional=True, z_dim=6, g_hidden=[16], d_hidden=[16])


def test_mlp_output_follows_data_kind():
    cfg = ModelConfig(z_dim=3, g_hidden=[8])
    img = build_generator(cfg, (1, 4, 4), "image")(torch.randn(50, 3) * 100)
    assert 0 <= img.min() and img.max() <= 1
    pts = build_generator(cfg, (2,), "points")(torch.randn(50, 3) * 100)
    assert pts.abs().max() > 1  # linear output: no squashing for data in its own units


def test_discriminator_returns_logits_not_probabilities():
    D = MLPDiscriminator((2,), [16])
    with torch.no_grad():
        D.net[-1].bias.fill_(50.0)
    assert D(torch.zeros(3, 2)).min() > 1  # a probability could not exceed 1
