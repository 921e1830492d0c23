"""The nets that grow with the image (dcgan, resnet, light): every side from 16 to 512, 1 or 3
channels, conditional or not, and the one-line error for any other side."""

import pytest
import torch

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.nets import build_discriminator, build_generator
from gankit.nets.scaled import SIDES, ClassNorm, octaves, width_at

FAMILIES = ("dcgan", "resnet", "light")
TINY = dict(z_dim=6, base_width=2, max_width=4)


def resolutions(net, x):
    """The sides of every image-shaped map the net computes (not the 1×1 maps of excitation gates)."""
    sizes = set()
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.add(o.shape[-1]) if o.dim() == 4 and o.shape[-1] > 1 else None)
             for m in net.modules()]
    net(x)
    for h in hooks:
        h.remove()
    return sorted(sizes)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("channels", [1, 3])
def test_every_net_fits_every_side(family, side, channels):
    shape = (channels, side, side)
    cfg = ModelConfig(g=family, d=family, **TINY)
    torch.manual_seed(0)
    G, D = build_generator(cfg, shape, "image"), build_discriminator(cfg, shape, "image")
    x = G(torch.randn(2, 6))
    assert x.shape == (2, *shape) and 0 <= x.min() and x.max() <= 1
    assert D(x).shape == (2,)
    # one block per octave: G's resolutions go 4, 8, ..., side; D's come back down to 4×4
    octave_sides = [4 * 2 ** k for k in range(octaves(side) + 1)]
    assert resolutions(G, torch.randn(2, 6)) == octave_sides
    assert resolutions(D, x) in (octave_sides, octave_sides[:-1])  # D's first map is the image's or half of it


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("side", SIDES)
def test_conditional_nets_take_the_class_at_any_side(family, side):
    from gankit.nets import ProjectionDiscriminator

    shape = (3, side, side)
    cfg = ModelConfig(g=family, d=family, conditional=True, **TINY)
    torch.manual_seed(0)
    G, D = build_generator(cfg, shape, "image", num_classes=3), build_discriminator(cfg, shape, "image", num_classes=3)
    assert isinstance(D, ProjectionDiscriminator)
    norms = [m for m in G.modules() if isinstance(m, ClassNorm)]
    assert norms and all(m.num_classes == 3 for m in norms)  # the class reaches every batch norm of G, at every octave
    z = torch.randn(4, 6)  # G in training mode: batch statistics keep the tiny nets' activations of order 1
    with torch.no_grad():  # class-conditional batch norm: a per-class gain and shift once trained
        for m in G.modules():
            if hasattr(m, "gain"):
                m.gain.weight.normal_(0, 0.5)
                m.shift.weight.normal_(0, 0.5)
    x0, x2 = G(z, torch.zeros(4, dtype=torch.long)), G(z, torch.full((4,), 2))
    assert x0.shape == (4, *shape) and not torch.allclose(x0, x2)
    # relative: a tiny D at N(0, 0.02) (DCGAN's init) gives logits near 0 at 512×512; the class still moves them
    assert not torch.allclose(D(x0, torch.zeros(4, dtype=torch.long)), D(x0, torch.full((4,), 2)), rtol=1e-3, atol=0)
    with pytest.raises(GankitError, match="class label"):
        G(z)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("shape,kind", [((3, 48, 48), "image"), ((1, 28, 28), "image"), ((3, 1024, 1024), "image"),
                                        ((3, 32, 16), "image"), ((2,), "points")])
def test_another_side_is_a_one_line_error_naming_data_size(family, shape, kind):
    for build, which in ((build_generator, "g"), (build_discriminator, "d")):
        cfg = ModelConfig(g=family, d=family, **TINY)
        with pytest.raises(GankitError, match=rf"config key data.size: model.{which} = {family} needs .* power of two") as e:
            build(cfg, shape, kind)
        assert "\n" not in str(e.value)


def test_channels_double_from_the_base_width_per_octave_up_to_the_cap():
    # a slow loop: base at the top resolution, x2 per octave below it, never above the cap
    for side in SIDES:
        for base, cap in ((64, 512), (16, 256), (3, 5)):
            for res in (4 * 2 ** k for k in range(octaves(side) + 1)):
                expect, r = base, side
                while r > res:
                    expect, r = expect * 2, r // 2
                assert width_at(res, side, base, cap) == min(expect, cap)


def test_max_width_below_base_width_is_a_config_error():
    from gankit.config import from_dict

    with pytest.raises(GankitError, match="config key model.max_width"):
        from_dict({"model": {"base_width": 64, "max_width": 32}})
