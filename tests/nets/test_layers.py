
import torch

from gankit.config import ModelConfig
from gankit.distributed import Rank
from gankit.nets import Dropout, MaskSource, Maxout, build_discriminator

COND = dict(conditional=True, z_dim=6, g_hidden=[16], d_hidden=[16])


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


def test_max_norm_caps_each_units_incoming_weights():
    from gankit.nets import apply_max_norm

    lin = torch.nn.Linear(5, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 4, 0, 0, 0], [0.1, 0, 0, 0, 0], [0, 0, 0, 6, 8]]))
    apply_max_norm(lin, 2.0)
    assert torch.allclose(lin.weight.norm(dim=1), torch.tensor([2.0, 0.1, 2.0]))
    assert torch.allclose(lin.weight[0], torch.tensor([1.2, 1.6, 0, 0, 0]))  # direction kept
