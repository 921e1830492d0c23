
import pytest
import torch

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.nets import MLPDiscriminator, build_discriminator, build_generator

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

    G = build_generator(ModelConfig(**COND), (2,), "points", num_classes=3)
    with pytest.raises(GankitError, match="needs a class label"):
        G(torch.randn(2, 6))
    with pytest.raises(GankitError, match="model.conditional"):
        build_discriminator(ModelConfig(**COND), (2,), "points", num_classes=0)


def test_projection_keeps_the_paper_discriminators_max_norm():
    D = build_discriminator(ModelConfig(d="paper-mnist", conditional=True), (1, 8, 8), "image", num_classes=10)
    assert D.max_norm == pytest.approx(1.9365)
