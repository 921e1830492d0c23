"""`dcgan`: Radford et al.'s nets, checked against the PyTorch DCGAN tutorial's published sizes."""

import torch

from gankit.config import ModelConfig
from gankit.nets import DCGANDiscriminator, DCGANGenerator, build_discriminator, build_generator

TUTORIAL = ModelConfig(g="dcgan", d="dcgan", z_dim=100, base_width=64, max_width=512)


def test_at_64x64_and_width_64_these_are_the_tutorials_nets():
    # The tutorial (nz 100, ngf = ndf = 64, nc 3) prints 3,576,704 parameters for G and 2,765,568
    # for D (https://pytorch.org/tutorials/beginner/dcgan_faces_tutorial.html). gankit's G adds its
    # per-pixel output bias (3×64×64); its D writes the final 4×4 convolution as a linear layer, with a bias.
    G, D = build_generator(TUTORIAL, (3, 64, 64), "image"), build_discriminator(TUTORIAL, (3, 64, 64), "image")
    assert isinstance(G, DCGANGenerator) and isinstance(D, DCGANDiscriminator)
    assert sum(p.numel() for n, p in G.named_parameters() if n != "out.bias") == 3_576_704
    assert sum(p.numel() for p in D.parameters()) == 2_765_568 + 1
    g_channels = [m.out_channels for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    d_channels = [m.out_channels for m in D.modules() if isinstance(m, torch.nn.Conv2d)]
    assert g_channels == [512, 256, 128, 64, 3] and d_channels == [64, 128, 256, 512]


def test_d_has_batch_norm_after_its_first_layer_unless_turned_off():
    bn = [isinstance(m, torch.nn.BatchNorm2d) for m in build_discriminator(TUTORIAL, (3, 64, 64), "image").net]
    assert sum(bn) == 3 and not bn[1]
    plain = ModelConfig(g="dcgan", d="dcgan", base_width=8, d_batch_norm=False)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in build_discriminator(plain, (3, 64, 64), "image").modules())


def test_d_final_linear_layer_is_the_4x4_valid_convolution_of_the_paper():
    cfg = ModelConfig(g="dcgan", d="dcgan", base_width=4, max_width=8, d_batch_norm=False)
    D = build_discriminator(cfg, (1, 16, 16), "image").eval()
    x = torch.rand(3, 1, 16, 16)
    features = D.net[:-3](x)  # the 4×4 map, before flattening, dropout and the logit
    linear = D.net[-1]
    conv = torch.nn.functional.conv2d(features, linear.weight.view(1, -1, 4, 4), linear.bias)
    assert torch.allclose(D(x), conv.flatten(), atol=1e-6)


def test_g_starts_at_the_mean_training_image():
    mean = torch.rand(3, 32, 32) * 0.8 + 0.1
    cfg = ModelConfig(g="dcgan", z_dim=8, base_width=4, max_width=8)
    G = build_generator(cfg, (3, 32, 32), "image", pixel_mean=mean)
    with torch.no_grad():
        for m in G.modules():  # with the convolutions silenced, G's output is its output bias
            if isinstance(m, torch.nn.ConvTranspose2d):
                m.weight.zero_()
    assert torch.allclose(G.eval()(torch.randn(2, 8)), mean.expand(2, -1, -1, -1), atol=1e-5)
