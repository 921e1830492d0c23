"""stacked_modes: class triples read channel by channel, counted, and compared with uniform."""

from __future__ import annotations

import math

import pytest
import torch

from gankit import metrics
from gankit.config import DataConfig
from gankit.data import load
from gankit.data.stacked import stacked
from gankit.errors import GankitError
from gankit.metrics.stacked import mode_stats


@pytest.fixture(scope="module")
def digits_stacks():
    """Stacked 8×8 digits: the same construction, with the fast digits classifier reading channels."""
    return stacked(load(DataConfig(name="digits")), "stacked-digits", n=2000)


def test_mode_stats_by_hand():
    # modes 0, 0, 1, 2 of 4: three covered; KL = 1/2 log(1/2 · 4) + 2 · 1/4 log(1/4 · 4) = 1/2 log 2
    out = mode_stats(torch.tensor([0, 0, 1, 2]), 4)
    assert out["stacked_modes"] == 3 and out["stacked_modes_total"] == 4
    assert out["stacked_kl"] == pytest.approx(0.5 * math.log(2))
    assert mode_stats(torch.arange(8) % 4, 4)["stacked_kl"] == pytest.approx(0.0)


def test_real_stacks_cover_nearly_every_mode_and_one_image_covers_one(digits_stacks):
    real = metrics.evaluate(digits_stacks.test, data=digits_stacks, metrics=["stacked_modes"])
    # 10,000 stacks of 1000 equally likely triples, each channel read at ~98% accuracy.
    assert real["stacked_modes"] >= 990 and real["stacked_kl"] < 0.15 and real["classifier_accuracy"] > 0.9
    assert real["stacked_confident"] > 0.5 and real["stacked_modes_confident"] <= real["stacked_modes"]
    one = metrics.evaluate(digits_stacks.test[:1].repeat(500, 1, 1, 1), data=digits_stacks, metrics=["stacked_modes"])
    assert one["stacked_modes"] == 1 and one["stacked_kl"] == pytest.approx(math.log(1000))
    assert one["stacked_confident"] in (0.0, 1.0) and one["stacked_modes_confident"] == int(one["stacked_confident"])


def test_confidence_is_the_classifiers_probability_of_each_channel(digits_stacks):
    from gankit.metrics.features import fit
    from gankit.metrics.stacked import channel_classes

    net, _ = fit(digits_stacks.stacked_from)
    x = digits_stacks.test[:40]
    classes, confidence = channel_classes(net, x)
    with torch.no_grad():
        probs = net(x[:, 1:2]).softmax(1)  # the middle channel, classified on its own
    assert torch.equal(classes[:, 1], probs.argmax(1)) and torch.allclose(confidence[:, 1], probs.amax(1))
    blank = metrics.evaluate(torch.full((50, 3, 8, 8), 0.5), data=digits_stacks, metrics=["stacked_modes"])
    assert blank["stacked_modes"] == 1


def test_a_generator_that_drops_a_class_in_one_channel_loses_a_tenth_of_the_modes(digits_stacks):
    base = digits_stacks.stacked_from
    keep = base.test_labels != 3
    x = digits_stacks.test.clone()
    # Replace channel 0 by test digits other than 3: triples (3, *, *) become unreachable.
    pool = base.test[keep][:, 0]
    x[:, 0] = pool[torch.arange(len(x)) % len(pool)]
    out = metrics.evaluate(x, data=digits_stacks, metrics=["stacked_modes"])
    assert 880 <= out["stacked_modes"] <= 920


def test_stacked_modes_refuses_data_that_is_not_stacked():
    with pytest.raises(GankitError, match="stacked_modes is for stacked data sets"):
        metrics.evaluate(torch.rand(4, 1, 8, 8), data="digits", metrics=["stacked_modes"])
