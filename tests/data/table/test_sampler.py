"""sampler.py: training-by-sampling draws values with log frequencies, and every real row meets
the conditional vector it comes with."""

from __future__ import annotations

import numpy as np
import torch

from gankit.data.table import ConditionSampler, one_hots


def table(seed=0):
    """Column 0: values 0..3 with counts 900, 90, 9, 1 (a rare value); column 1: 0..1 (the second
    one's last value plays a blank)."""
    rng = np.random.default_rng(seed)
    a = np.repeat([0, 1, 2, 3], [900, 90, 9, 1])
    b = rng.integers(0, 2, len(a))
    return torch.from_numpy(np.column_stack([a, b])), [4, 2]


def test_each_row_meets_its_condition_and_rare_values_are_drawn():
    values, widths = table()
    s = ConditionSampler(values, widths, log_frequency=True, extra=0.3)
    cond, rows = s.draw(200_000, torch.Generator().manual_seed(0))
    assert cond.shape == (200_000, 6)
    revealed = cond.view(-1, 6)
    # decode each revealed one-hot and compare with the row's own values
    for k, (off, w) in enumerate([(0, 4), (4, 2)]):
        seg = revealed[:, off:off + w]
        on = seg.sum(1) == 1
        assert torch.equal(seg[on].argmax(1), values[rows[on], k])
        assert (seg.sum(1) <= 1).all()
    assert (cond.sum(1) >= 1).all()  # at least one column is always revealed
    # column 0 chosen half the time; then its value with probability log(1 + count) / sum
    chosen0 = cond[:, :4].sum(1) == 1
    counts = np.array([900, 90, 9, 1])
    p = np.log1p(counts) / np.log1p(counts).sum()
    # P(value v revealed in column 0) = 0.5 p_v + 0.5 * 0.3 * P(a random drawn row has v), the second term
    # from rows drawn for column 1 (uniform rows within b's values, so data frequencies)
    expected = 0.5 * p + 0.5 * 0.3 * counts / counts.sum()
    got = np.bincount(cond[chosen0, :4].argmax(1).numpy(), minlength=4) / len(cond)
    assert np.allclose(got, expected, atol=0.004), (got, expected)
    assert got[3] > 0.02  # the value seen once (0.1% of the rows) is revealed in 2.4% of them


def test_data_frequencies_without_log_frequency_and_reproducible_draws():
    values, widths = table()
    s = ConditionSampler(values, widths, log_frequency=False, extra=0.0)
    cond, rows = s.draw(100_000, torch.Generator().manual_seed(1))
    col0 = cond[:, :4].sum(1) == 1
    got = np.bincount(cond[col0, :4].argmax(1).numpy(), minlength=4) / col0.sum().item()
    assert np.allclose(got, [0.9, 0.09, 0.009, 0.001], atol=0.005)
    assert torch.equal(cond.sum(1), torch.ones(len(cond)))  # extra = 0: one column only
    again, rows2 = s.draw(100_000, torch.Generator().manual_seed(1))
    assert torch.equal(again, cond) and torch.equal(rows, rows2)


def test_one_hots_by_hand():
    values = torch.tensor([[2, 0], [1, 1]])
    reveal = torch.tensor([[True, False], [True, True]])
    got = one_hots(values, reveal, torch.tensor([0, 3]), 5)
    assert got.tolist() == [[0, 0, 1, 0, 0], [0, 1, 0, 0, 1]]
