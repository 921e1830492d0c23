"""`resnet`: SNGAN/BigGAN residual blocks."""

import torch

from gankit.config import ModelConfig
from gankit.losses.scores import Examples, scores, scores_pair
from gankit.nets import build_discriminator, build_generator
from gankit.nets.resnet import DownBlock, UpBlock

CFG = ModelConfig(g="resnet", d="resnet", z_dim=6, base_width=4, max_width=16)


def up2(h):  # nearest-neighbour ×2, written out
    return h.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


def test_up_block_is_its_shortcut_plus_its_residual_branch():
    block = UpBlock(4, 8, num_classes=0).eval()
    h = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        block.conv2.weight.zero_()
        block.conv2.bias.zero_()
    # with the residual branch's last conv silenced, the block is its 1×1 shortcut of the upsampled map
    assert torch.allclose(block(h, None), block.shortcut(up2(h)), atol=1e-6)
    same = UpBlock(4, 4, num_classes=0).eval()
    with torch.no_grad():
        same.conv2.weight.zero_()
        same.conv2.bias.zero_()
    assert same.shortcut is None and torch.allclose(same(h, None), up2(h))  # identity shortcut


def test_down_block_pools_both_branches():
    block = DownBlock(3, 4, first=True)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        block.conv2.weight.zero_()
        block.conv2.bias.zero_()
    pooled = x.reshape(2, 3, 4, 2, 4, 2).mean((3, 5))  # 2×2 average pooling, written out
    assert torch.allclose(block(x), block.shortcut(pooled), atol=1e-6)


def test_d_has_no_batch_norm_so_real_and_fake_go_through_it_in_one_pass():
    D = build_discriminator(CFG, (3, 32, 32), "image")
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in D.modules())
    real, fake = torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)
    one_pass = scores_pair(D, Examples(real), Examples(fake))
    assert torch.allclose(one_pass[0], scores(D, Examples(real)), atol=1e-5)
    assert torch.allclose(one_pass[1], scores(D, Examples(fake)), atol=1e-5)


def test_spectral_norm_wraps_every_conv_and_the_logit():
    D = build_discriminator(ModelConfig(d="resnet", base_width=2, max_width=4, spectral_norm=True), (3, 16, 16), "image")
    layers = [m for m in D.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    assert D(torch.rand(2, 3, 16, 16)).shape == (2,)


def test_g_ends_in_base_width_channels_at_the_image_side():
    G = build_generator(CFG, (3, 64, 64), "image")
    assert G.to_image.in_channels == 4 and G.w4 == 16 and len(G.blocks) == 4
