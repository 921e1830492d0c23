
import torch

from gankit.config import ModelConfig
from gankit.nets import Maxout, build_discriminator, build_generator

COND = dict(conditional=True, z_dim=6, g_hidden=[16], d_hidden=[16])


def test_paper_nets_shapes_init_and_output_bias():
    torch.manual_seed(0)
    mean = torch.rand(1, 28, 28) * 0.8 + 0.1
    G = build_generator(ModelConfig(g="paper-mnist", z_dim=100), (1, 28, 28), "image", mean)
    widths = [m.out_features for m in G.modules() if isinstance(m, torch.nn.Linear)]
    assert widths == [1200, 1200, 784]
    for m in G.modules():
        if isinstance(m, torch.nn.Linear):
            assert m.weight.abs().max() <= 0.05
    assert torch.allclose(torch.sigmoid(G.out.bias), mean.flatten(), atol=1e-5)
    x = G(torch.zeros(4, 100))
    assert x.shape == (4, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    D = build_discriminator(ModelConfig(d="paper-mnist"), (1, 28, 28), "image")
    maxouts = [m for m in D.modules() if isinstance(m, Maxout)]
    assert [(m.units, m.pieces) for m in maxouts] == [(240, 5), (240, 5)]
    assert max(p.abs().max().item() for p in D.parameters()) <= 0.005
    assert D(torch.rand(4, 1, 28, 28)).shape == (4,)
