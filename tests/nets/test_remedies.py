
import pytest
import torch

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.nets import build_discriminator

COND = dict(conditional=True, z_dim=6, g_hidden=[16], d_hidden=[16])


def test_packing_concatenates_consecutive_examples_and_returns_one_output_per_pack():
    from gankit.nets import Packed

    D = build_discriminator(ModelConfig(d="mlp", d_hidden=[8], pack=3), (2,), "points")
    assert isinstance(D, Packed) and D.inner.net[1].in_features == 6
    x = torch.randn(12, 2)
    out = D(x)
    assert out.shape == (4,)
    # The second pack is examples 3, 4, 5 side by side.
    assert torch.allclose(out[1], D.inner(torch.cat([x[3], x[4], x[5]])[None])[0])
    conv = build_discriminator(ModelConfig(d="conv", conv_width=4, pack=2), (1, 8, 8), "image")
    assert conv.inner.net[0].in_channels == 2 and conv(torch.rand(6, 1, 8, 8)).shape == (3,)
    with pytest.raises(GankitError, match="model.pack"):
        D(torch.randn(10, 2))


def test_minibatch_std_appends_the_mean_std_of_each_group():
    from gankit.nets import MinibatchStd

    x = torch.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 5.0]])
    y = MinibatchStd(2)(x)
    assert y.shape == (4, 4) and torch.equal(y[:, :3], x)
    # Group 1 (rows 0, 1): population stds 1, 0, 1 -> mean 2/3; group 2 (rows 2, 3): 0, 0, 2 -> 2/3 too.
    # Groups that differ: a pair's population std is |a - b| / 2 per feature.
    assert torch.allclose(y[:, 3], torch.full((4,), 2 / 3), atol=1e-4)
    z = torch.tensor([[0.0, 0.0], [4.0, 2.0], [1.0, 1.0], [1.0, 1.0]])
    assert torch.allclose(MinibatchStd(2)(z)[:, 2], torch.tensor([1.5, 1.5, 0.0, 0.0]), atol=1e-3)
    images = torch.rand(6, 3, 4, 4)
    out = MinibatchStd(3)(images)
    assert out.shape == (6, 4, 4, 4) and torch.equal(out[:, :3], images)
    assert torch.all(out[:3, 3] == out[0, 3, 0, 0]) and torch.all(out[3:, 3] == out[3, 3, 0, 0])


def test_minibatch_std_starts_as_the_same_discriminator():
    torch.manual_seed(0)
    plain = build_discriminator(ModelConfig(d="mlp", d_hidden=[8, 8]), (2,), "points")
    torch.manual_seed(0)
    with_std = build_discriminator(ModelConfig(d="mlp", d_hidden=[8, 8], minibatch_std=4), (2,), "points")
    x = torch.randn(8, 2)
    assert torch.allclose(plain(x), with_std(x)) and with_std.net[-1].in_features == 9


def test_spectral_norm_holds_every_layers_largest_singular_value_at_one():
    torch.manual_seed(0)
    D = build_discriminator(ModelConfig(d="mlp", d_hidden=[32, 32], spectral_norm=True), (2,), "points")
    with torch.no_grad():
        for m in D.modules():
            if isinstance(m, torch.nn.Linear):
                m.parametrizations.weight.original.mul_(7.0)  # far from norm 1 to begin with
        for _ in range(100):  # each training-mode forward is one power iteration
            D(torch.randn(4, 2))
    D.eval()
    sigmas = [torch.linalg.matrix_norm(m.weight, ord=2).item() for m in D.modules() if isinstance(m, torch.nn.Linear)]
    assert len(sigmas) == 3 and all(abs(s - 1) < 1e-3 for s in sigmas)
    # The power iteration's vectors are buffers: a state dict round trip carries them.
    keys = D.state_dict().keys()
    assert any(k.endswith("parametrizations.weight.0._u") for k in keys)


def test_packing_keeps_the_paper_discriminators_max_norm():
    packed = build_discriminator(ModelConfig(d="paper-mnist", pack=2), (1, 28, 28), "image")
    assert packed.max_norm == pytest.approx(1.9365)
