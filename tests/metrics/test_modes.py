"""Mode coverage and the reverse KL of mode frequencies, against hand computations."""

import math

import pytest
import torch

from gankit.metrics.modes import mode_stats, reverse_kl


def test_reverse_kl_of_mode_counts_by_hand():
    # q = (1/2, 1/4, 1/4, 0) against uniform 1/4: 1/2 log 2 + 2 * 1/4 log 1 + 0 = log(2)/2.
    assert reverse_kl(torch.tensor([2, 1, 1, 0])) == pytest.approx(math.log(2) / 2, abs=1e-12)
    assert reverse_kl(torch.tensor([5, 5, 5, 5])) == pytest.approx(0.0, abs=1e-12)
    assert reverse_kl(torch.tensor([7, 0, 0, 0])) == pytest.approx(math.log(4), abs=1e-12)  # one mode: log K
    assert reverse_kl(torch.tensor([0, 0, 0])) is None


def test_mode_stats_counts_only_high_quality_samples():
    means = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    std = 1.0
    samples = torch.tensor([
        [0.5, 0.0], [0.0, 2.9], [1.0, 1.0],  # three high-quality samples at mode 0
        [10.0, 0.5],  # one at mode 1
        [5.0, 5.0],  # between modes: not high quality, counts for no mode
    ])
    out = mode_stats(samples, means, std)
    assert out["modes"] == 2 and out["modes_total"] == 3
    assert out["hq_percent"] == pytest.approx(80.0)
    q = [3 / 4, 1 / 4]  # frequencies among the 4 high-quality samples
    assert out["reverse_kl"] == pytest.approx(sum(p * math.log(3 * p) for p in q), abs=1e-12)
