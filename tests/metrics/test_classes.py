"""Class coverage: the smoothed KL and the coverage rule against a hand computation, and the
classifier's view of real digits."""

import math

import pytest
import torch

from gankit import data
from gankit.config import DataConfig
from gankit.metrics import evaluate
from gankit.metrics.classes import class_stats


def test_counts_and_kl_match_a_hand_computation():
    # 3 classes, data frequencies 1/2, 1/4, 1/4; 8 samples predicted 6, 2, 0.
    data_labels = torch.tensor([0, 0, 1, 2])
    pred = torch.tensor([0] * 6 + [1] * 2)
    p = [(6 + 0.5) / 9.5, (2 + 0.5) / 9.5, 0.5 / 9.5]
    q = [0.5, 0.25, 0.25]
    want_kl = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    out = class_stats(pred, data_labels, 3)
    # Covered: at least a tenth of the expected count (8 q_k), and at least one sample.
    assert out == {"classes_covered": 2, "classes_total": 3, "class_kl": pytest.approx(want_kl, abs=1e-12)}


def test_matching_frequencies_score_near_zero_and_one_class_near_log_k():
    labels = torch.arange(10).repeat(100)
    assert class_stats(labels, labels, 10)["class_kl"] == pytest.approx(0, abs=1e-12)
    one = class_stats(torch.zeros(10_000, dtype=torch.long), labels, 10)
    assert one["classes_covered"] == 1
    assert one["class_kl"] == pytest.approx(math.log(10), rel=0.01)


def test_real_digits_cover_every_class_and_one_digit_does_not():
    ds = data.load(DataConfig(name="digits"))
    real = evaluate(ds.train[:1000], data=ds, metrics=["classes"])
    assert real["classes_covered"] == 10 and real["class_kl"] < 0.02
    sevens = ds.train[ds.train_labels == 7]
    only = evaluate(sevens, data=ds, metrics=["classes"])
    assert only["classes_covered"] <= 2 and only["class_kl"] > 1.5
