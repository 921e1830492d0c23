"""Mode coverage and the reverse KL of mode frequencies, against hand computations."""

import math

import pytest
import torch

from gankit.data.toy import ring8_means
from gankit.metrics import evaluate
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


def test_the_chance_of_missing_a_mode_is_the_inclusion_exclusion_formula_and_simulates():
    import numpy as np

    from gankit.metrics.modes import miss_probability, samples_needed

    assert miss_probability(1, 1) == 0.0 and miss_probability(3, 4) == 1.0  # 3 draws cannot hit 4 modes
    assert abs(miss_probability(2, 2) - 0.5) < 1e-12  # HH or TT of two coin flips
    rng = np.random.default_rng(0)
    for n, k in [(16, 8), (40, 8), (120, 25)]:
        simulated = np.mean([len(np.unique(rng.integers(0, k, n))) < k for _ in range(20000)])
        assert abs(miss_probability(n, k) - simulated) < 0.015, (n, k)
    n = samples_needed(8)
    assert miss_probability(n, 8) <= 0.01 < miss_probability(int(0.9 * n), 8)


def test_few_samples_are_warned_about_in_the_modes_own_terms():
    """Issue 25: the README's API snippet evaluates 16 samples and reported `modes: 6` without a word."""
    out = evaluate(torch.zeros(16, 2) + ring8_means()[0], data="ring8", metrics="modes")
    (w,) = out["warnings"]
    assert w.startswith("modes counted 8 modes in only 16 samples: even a generator equal to the data would show "
                        "fewer than 8 with probability 0.69")
    assert "--n 52 or more" in w
    assert "warnings" not in evaluate(ring8_means().repeat(100, 1), data="ring8", metrics="modes")
