import math

import pytest
import torch

from gankit.config import ModelConfig
from gankit.distributed import Rank
from gankit.errors import GankitError
from gankit.nets import Dropout, MaskSource, Maxout, MLPDiscriminator, build_discriminator, build_generator, sample_noise


def test_maxout_is_the_max_over_pieces_of_linear_maps():
    torch.manual_seed(0)
    m = Maxout(6, units=4, pieces=3)
    x = torch.randn(5, 6)
    y = m(x)
    w, b = m.linear.weight.view(4, 3, 6), m.linear.bias.view(4, 3)
    with torch.no_grad():
        slow = torch.tensor([[max(float(w[u, p] @ x[i] + b[u, p]) for p in range(3)) for u in range(4)]
                             for i in range(5)])
    assert y.shape == (5, 4)
    assert torch.allclose(y, slow.float(), atol=1e-6)


def test_dropout_keeps_the_papers_fractions_in_training_and_nothing_drops_in_eval():
    D = build_discriminator(ModelConfig(d="paper-mnist"), (1, 28, 28), "image")
    drops = [m for m in D.modules() if isinstance(m, Dropout)]
    assert [d.p for d in drops] == [0.2, 0.5, 0.5]  # keep 80% of inputs, 50% of hidden units
    torch.manual_seed(1)
    x = torch.ones(2000, 784)
    y = drops[0](x)
    assert abs((y != 0).float().mean().item() - 0.8) < 0.01
    assert torch.allclose(y[y != 0], torch.tensor(1 / 0.8))  # inverted dropout: kept units scaled by 1/0.8
    D.eval()
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(D(x), D(x))


def test_dropout_masks_from_a_source_are_the_global_batchs_rows_of_this_rank():
    # One process with batch 6 and two processes with 3 rows each drop exactly the same units.
    x = torch.ones(6, 10)
    drop = Dropout(0.5)
    drop.source = MaskSource(torch.Generator().manual_seed(3))
    whole = drop(x)
    halves = []
    for r in (0, 1):
        drop.source = MaskSource(torch.Generator().manual_seed(3), Rank(rank=r, world_size=2))
        halves.append(drop(x[:3]))
    assert torch.equal(torch.cat(halves), whole)
    assert set(whole.unique().tolist()) == {0.0, 2.0}
    drop.eval()
    assert torch.equal(drop(x), x)


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


def test_mlp_output_follows_data_kind():
    cfg = ModelConfig(z_dim=3, g_hidden=[8])
    img = build_generator(cfg, (1, 4, 4), "image")(torch.randn(50, 3) * 100)
    assert 0 <= img.min() and img.max() <= 1
    pts = build_generator(cfg, (2,), "points")(torch.randn(50, 3) * 100)
    assert pts.abs().max() > 1  # linear output: no squashing for data in its own units


@pytest.mark.parametrize("prior", ["uniform", "gaussian"])
def test_priors_have_unit_variance(prior):
    z = sample_noise(prior, 200_000, 2, torch.Generator().manual_seed(0))
    assert abs(z.mean().item()) < 0.01 and abs(z.var().item() - 1) < 0.01
    if prior == "uniform":
        assert z.abs().max() <= math.sqrt(3)


def test_discriminator_returns_logits_not_probabilities():
    D = MLPDiscriminator((2,), [16])
    with torch.no_grad():
        D.net[-1].bias.fill_(50.0)
    assert D(torch.zeros(3, 2)).min() > 1  # a probability could not exceed 1


def test_max_norm_caps_each_units_incoming_weights():
    from gankit.nets import apply_max_norm

    lin = torch.nn.Linear(5, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 4, 0, 0, 0], [0.1, 0, 0, 0, 0], [0, 0, 0, 6, 8]]))
    apply_max_norm(lin, 2.0)
    assert torch.allclose(lin.weight.norm(dim=1), torch.tensor([2.0, 0.1, 2.0]))
    assert torch.allclose(lin.weight[0], torch.tensor([1.2, 1.6, 0, 0, 0]))  # direction kept


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8)])
def test_conv_nets_fit_image_shapes(shape):
    cfg = ModelConfig(g="conv", d="conv", z_dim=10, conv_width=8)
    G, D = build_generator(cfg, shape, "image"), build_discriminator(cfg, shape, "image")
    x = G(torch.randn(4, 10))
    assert x.shape == (4, *shape) and 0 <= x.min() and x.max() <= 1
    assert D(x).shape == (4,)


def test_conv_nets_refuse_points_and_odd_sizes():
    from gankit.errors import GankitError

    with pytest.raises(GankitError, match="model.g = conv"):
        build_generator(ModelConfig(g="conv"), (2,), "points")
    with pytest.raises(GankitError, match="model.d = conv"):
        build_discriminator(ModelConfig(d="conv"), (1, 30, 30), "image")


def test_nets_does_not_import_config():
    """config imports nets to validate names; nets never imports config back."""
    import subprocess
    import sys

    code = "import sys, gankit.nets; sys.exit('gankit.config' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --- remedies: packing, minibatch standard deviation, spectral normalization -----------------------

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


# --- conditional nets -----------------------------------------------------------------------------

COND = dict(conditional=True, z_dim=6, g_hidden=[16], d_hidden=[16])


@pytest.mark.parametrize("g,d,shape,kind", [("mlp", "mlp", (1, 8, 8), "image"), ("mlp", "maxout", (2,), "points"),
                                            ("conv", "conv", (1, 8, 8), "image"), ("paper-mnist", "paper-mnist", (1, 8, 8), "image")])
def test_conditional_nets_take_the_class_and_different_classes_differ(g, d, shape, kind):
    from gankit.nets import ConditionalConvGenerator, ConditionalGenerator, ProjectionDiscriminator

    cfg = ModelConfig(g=g, d=d, conv_width=4, **COND)
    torch.manual_seed(0)
    G, D = build_generator(cfg, shape, kind, num_classes=5), build_discriminator(cfg, shape, kind, num_classes=5)
    assert isinstance(G, ConditionalConvGenerator if g == "conv" else ConditionalGenerator)
    assert isinstance(D, ProjectionDiscriminator)
    G.eval(), D.eval()
    z = torch.randn(4, 6)
    x0, x3 = G(z, torch.zeros(4, dtype=torch.long)), G(z, torch.full((4,), 3))
    assert x0.shape == x3.shape == (4, *shape)
    assert not torch.allclose(x0, x3)  # same z, another class: another sample
    s0, s3 = D(x0, torch.zeros(4, dtype=torch.long)), D(x0, torch.full((4,), 3))
    assert s0.shape == (4,) and not torch.allclose(s0, s3)


def test_unconditional_nets_are_the_plain_nets():
    from gankit.nets import ConvGenerator

    cfg = ModelConfig(g="conv", d="conv", z_dim=6, conv_width=4)
    torch.manual_seed(0)
    G = build_generator(cfg, (1, 8, 8), "image", num_classes=10)  # classes are ignored unless conditional
    assert type(G) is ConvGenerator and G.fc[0].in_features == 6


def test_conditional_generator_is_its_base_on_z_and_the_one_hot():
    cfg = ModelConfig(**COND)
    torch.manual_seed(0)
    G = build_generator(cfg, (3,), "points", num_classes=4)
    assert G.base.body[0].in_features == 6 + 4  # [z; onehot(c)] (Mirza & Osindero, 2014)
    z, c = torch.randn(5, 6), torch.tensor([0, 1, 2, 3, 1])
    onehot = torch.eye(4)[c]
    assert torch.allclose(G(z, c), G.base(torch.cat([z, onehot], 1)))


def test_conditional_conv_generator_is_the_conv_net_on_the_one_hot_until_its_batch_norms_learn_a_class():
    from gankit.nets import ConvGenerator

    cfg = ModelConfig(g="conv", z_dim=6, conv_width=4, conditional=True)
    G = build_generator(cfg, (1, 8, 8), "image", num_classes=3)
    plain = ConvGenerator(6 + 3, (1, 8, 8), 4)
    plain.load_state_dict({k: v for k, v in G.state_dict().items() if not k.startswith(("gains", "shifts"))})
    G.eval(), plain.eval()
    z, c = torch.randn(5, 6), torch.tensor([0, 1, 2, 1, 0])
    # Gains and shifts start at zero: [z; onehot(c)] through the plain conv net.
    assert torch.allclose(G(z, c), plain(torch.cat([z, torch.eye(3)[c]], 1)), atol=1e-6)
    with torch.no_grad():  # class 1's shift after the last batch norm: y = BN(h) * (1 + 0) + 0.5
        G.shifts[1].weight[1].fill_(0.5)
    moved = (G(z, c) - plain(torch.cat([z, torch.eye(3)[c]], 1))).flatten(1).abs().amax(1)
    assert moved[c == 1].min() > 1e-3 and moved[c != 1].max() < 1e-6  # only class 1's samples change


def test_projection_discriminator_on_a_hand_case():
    # phi(x) = relu(W x + b), psi(h) = v.h + b0, logit = psi(phi(x)) + <E[c], phi(x)>, by hand.
    from gankit.nets import ProjectionDiscriminator

    D = ProjectionDiscriminator(MLPDiscriminator((2,), [2]), num_classes=3)
    with torch.no_grad():
        lin, out = D.phi[1], D.psi
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, -1.0]]))
        lin.bias.copy_(torch.tensor([0.0, 0.5]))
        out.weight.copy_(torch.tensor([[2.0, -1.0]]))
        out.bias.fill_(0.25)
        D.embed.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0], [-3.0, 2.0]]))
    x = torch.tensor([[1.0, 2.0], [3.0, 1.0]])
    # phi: [relu(1), relu(1 - 2 + 0.5)] = [1, 0];  [relu(3), relu(3 - 1 + 0.5)] = [3, 2.5]
    # psi: 2*1 - 0 + 0.25 = 2.25;  2*3 - 2.5 + 0.25 = 3.75
    expect = {0: [2.25, 3.75], 1: [2.25 + 1, 3.75 + 5.5], 2: [2.25 - 3, 3.75 - 9 + 5]}
    for c, want in expect.items():
        assert torch.allclose(D(x, torch.full((2,), c)), torch.tensor(want))
    assert torch.allclose(D(x, torch.tensor([1, 2])), torch.tensor([3.25, -0.25]))  # a class per example


def test_conditional_nets_refuse_a_missing_class_and_too_few_classes():
    from gankit.errors import GankitError

    G = build_generator(ModelConfig(**COND), (2,), "points", num_classes=3)
    with pytest.raises(GankitError, match="needs a class label"):
        G(torch.randn(2, 6))
    with pytest.raises(GankitError, match="model.conditional"):
        build_discriminator(ModelConfig(**COND), (2,), "points", num_classes=0)


def test_projection_keeps_the_paper_discriminators_max_norm():
    D = build_discriminator(ModelConfig(d="paper-mnist", conditional=True), (1, 8, 8), "image", num_classes=10)
    assert D.max_norm == pytest.approx(1.9365)


def test_packing_keeps_the_paper_discriminators_max_norm():
    packed = build_discriminator(ModelConfig(d="paper-mnist", pack=2), (1, 28, 28), "image")
    assert packed.max_norm == pytest.approx(1.9365)
