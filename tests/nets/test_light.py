"""`light`: DCGAN's G with FastGAN's skip-layer excitation, a D without batch norm."""

import torch

from gankit.config import ModelConfig
from gankit.nets import build_discriminator, build_generator
from gankit.nets.light import SkipExcitation

CFG = ModelConfig(g="light", d="light", z_dim=6, base_width=2, max_width=8)


def test_skip_excitation_gates_the_high_map_channel_by_channel():
    sle = SkipExcitation(3, 5)
    low, high = torch.randn(2, 3, 8, 8), torch.randn(2, 5, 32, 32)
    pooled = low.reshape(2, 3, 4, 2, 4, 2).mean((3, 5))  # adaptive pooling to 4×4, written out
    s = torch.einsum("nchw,ochw->no", pooled, sle.squeeze.weight)  # a 4×4 valid conv is a dot product
    gate = torch.sigmoid(torch.nn.functional.leaky_relu(s, 0.1) @ sle.excite.weight[:, :, 0, 0].T)
    assert torch.allclose(sle(low, high), high * gate[:, :, None, None], atol=1e-5)


def test_excitations_pair_each_map_with_the_one_eight_times_larger():
    G = build_generator(CFG, (3, 128, 128), "image")
    sides = {i: r for i, r in enumerate(G.resolutions)}
    assert [(sides[i], sides[j]) for i, j in G.pairs] == [(4, 32), (8, 64)]
    assert build_generator(CFG, (3, 16, 16), "image").pairs == []  # too small for a pair


def test_d_has_no_batch_norm():
    D = build_discriminator(CFG, (1, 64, 64), "image")
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in D.modules())
