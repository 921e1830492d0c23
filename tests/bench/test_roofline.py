"""FLOPs and bytes of a training step from layer shapes, against hand counts."""

import torch

from gankit import nets
from gankit.bench import roofline
from gankit.config import ModelConfig


def test_paper_nets_cost_what_the_hand_count_says():
    cfg = ModelConfig(g="paper-mnist", d="paper-mnist")
    G = roofline.net_cost(nets.build_generator(cfg, (1, 28, 28), "image"), (100,))
    D = roofline.net_cost(nets.build_discriminator(cfg, (1, 28, 28), "image"), (1, 28, 28))
    assert G.flops == 2 * (100 * 1200 + 1200 * 1200 + 1200 * 784) and G.first == 2 * 100 * 1200
    assert D.flops == 2 * (784 * 1200 + 240 * 1200 + 240 * 1) and D.first == 2 * 784 * 1200
    assert G.params == 100 * 1200 + 1200 + 1200 * 1200 + 1200 + 1200 * 784 + 784
    assert roofline.step_flops(G, D, k=1) == 35_667_840  # the "36 MFLOP per image"
    # k D steps each add G's no-grad forward, D's two forwards and both backward products.
    assert roofline.step_flops(G, D, k=3) - roofline.step_flops(G, D, k=1) == 2 * (G.flops + 6 * D.flops - 2 * D.first)


def test_conv_layers_are_counted_from_their_output_shapes():
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 4, 2, 1), torch.nn.Flatten(), torch.nn.Linear(8 * 14 * 14, 1))
    c = roofline.net_cost(conv, (1, 28, 28))
    assert c.flops == 2 * (1 * 16 * 8 * 14 * 14) + 2 * 8 * 14 * 14
    up = roofline.net_cost(torch.nn.ConvTranspose2d(8, 4, 4, 2, 1), (8, 7, 7))
    assert up.flops == 2 * 8 * 7 * 7 * 4 * 16  # every input pixel scatters a 4×4 kernel per output channel


def test_bytes_count_weights_optimizer_state_and_activations():
    G, D = roofline.NetCost(0, 0, params=10, activations=3), roofline.NetCost(0, 0, params=5, activations=2)
    sgd = roofline.step_bytes(G, D, batch=1, k=1, optimizer="sgd")
    # G: 2 forwards ×4 + backward 8 + optimizer 20; D: 2 forwards ×4 + backward 8 + inputs-only 4 + 20
    assert sgd == 10 * (8 + 8 + 20) + 5 * (8 + 8 + 4 + 20) + 4 * (3 * 3 + 2 * 3 * 2)
    assert roofline.step_bytes(G, D, batch=1, k=1, optimizer="adam") - sgd == 8 * (10 + 5)
