"""nets/table.py: the per-column head (softmax within each span, Gumbel-max draws with the
softmax's probabilities), conditions that every row honours, unconditional draws at the data's
frequencies, and D on packed rows beside their conditions."""

from __future__ import annotations

import pytest
import torch

from gankit import config, nets
from gankit.errors import GankitError
from gankit.nets.table import GumbelHead, TableDiscriminator, TableGenerator

LAYOUT = {"spans": [[3, "softmax"], [1, "tanh"], [2, "softmax"], [4, "softmax"]],
          "conditions": [[0, 3], [6, 4]], "counts": [[50, 30, 20], [1, 1, 1, 7]]}


def spans_of(x):
    return x[:, 0:3], x[:, 3:4], x[:, 4:6], x[:, 6:10]


def test_head_in_training_is_a_softmax_per_span_and_in_eval_a_draw_from_it():
    head = GumbelHead(LAYOUT["spans"], tau=0.5)
    h = torch.randn(4, 10)
    head.train()
    out = head(h)
    for i, part in enumerate(spans_of(out)):
        if i == 1:
            assert torch.allclose(part, torch.tanh(h[:, 3:4]))
        else:
            assert torch.allclose(part.sum(1), torch.ones(4)) and (part > 0).all()
    head.eval()
    logits = torch.tensor([[2.0, 0.0, -1.0, 0.3, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    head.gen = torch.Generator().manual_seed(0)
    draws = head(logits.expand(40_000, -1))
    for part, lo, hi in ((draws[:, 0:3], 0, 3), (draws[:, 4:6], 4, 6)):
        assert torch.equal(part.sum(1), torch.ones(40_000))  # one-hot
        want = torch.softmax(logits[0, lo:hi], 0)  # the Gumbel-max trick: a draw from softmax(logits)
        assert torch.allclose(part.mean(0), want, atol=0.01)


def test_conditions_are_honoured_and_unconditional_rows_follow_the_counts():
    base = torch.nn.Linear(8 + 7, 10)
    G = TableGenerator(base, LAYOUT, tau=0.2).eval()
    c = torch.zeros(1000, 7)
    c[:, 1] = 1  # first categorical column = value 1
    c[::2, 3 + 3] = 1  # every other row also: second column = value 3
    G.head.gen = torch.Generator().manual_seed(1)
    x = G(torch.randn(1000, 8), c)
    assert torch.equal(x[:, 0:3].argmax(1), torch.ones(1000, dtype=torch.long))
    assert torch.equal(x[::2, 6:10].argmax(1), torch.full((500,), 3))
    assert not torch.equal(x[1::2, 6:10].argmax(1), torch.full((500,), 3))  # unconditioned rows vary
    u = G.unconditional(60_000)
    assert torch.equal(u.sum(1), torch.ones(60_000))  # one column conditioned per row
    first = u[:, :3].sum(0) / 60_000
    second = u[:, 3:].sum(0) / 60_000
    assert torch.allclose(first, 0.5 * torch.tensor([0.5, 0.3, 0.2]), atol=0.01)
    assert torch.allclose(second, 0.5 * torch.tensor([0.1, 0.1, 0.1, 0.7]), atol=0.01)


def test_built_from_the_config_with_packing_and_conditions():
    cfg = config.load(None, ["model.g=table", "model.d=table", "model.pack=5", "model.z_dim=8",
                             "model.g_hidden=[16]", "model.d_hidden=[16]"]).model
    G = nets.build_generator(cfg, (10,), "table", layout=LAYOUT)
    D = nets.build_discriminator(cfg, (10,), "table", layout=LAYOUT)
    assert isinstance(G, TableGenerator) and isinstance(D, TableDiscriminator)
    x = G(torch.randn(20, 8), torch.zeros(20, 7).index_fill_(1, torch.tensor([0]), 1.0))
    assert x.shape == (20, 10) and D(x, torch.zeros(20, 7)).shape == (4,)  # one score per pack of 5
    with pytest.raises(GankitError, match="needs c"):
        D(x)
    off = config.load(None, ["model.g=mlp", "model.cond_vector=false", "model.z_dim=8"]).model
    plain = nets.build_generator(off, (10,), "table", layout=LAYOUT)  # any family; no conditional vector
    assert plain.cond_dim == 0 and plain(torch.randn(3, 8)).shape == (3, 10)
    with pytest.raises(GankitError, match="the table net is for tables"):
        nets.build_generator(cfg, (1, 8, 8), "image")
