"""class_accuracy: how often samples are the class they were asked for, by the data's classifier."""

from __future__ import annotations

import pytest
import torch

from gankit import metrics
from gankit.config import DataConfig
from gankit.data import load
from gankit.errors import GankitError
from gankit.metrics.class_accuracy import class_accuracy


def test_by_hand():
    out = class_accuracy(torch.tensor([0, 1, 1, 2, 2, 2]), torch.tensor([0, 1, 0, 2, 2, 1]))
    assert out["class_accuracy"] == pytest.approx(4 / 6)
    assert out["class_accuracy_min"] == pytest.approx(0.5)  # class 0: 1 of 2; class 1: 1 of 2; class 2: 2 of 2


def test_real_test_images_with_their_labels_score_the_classifiers_accuracy():
    ds = load(DataConfig(name="digits"))
    right = metrics.evaluate(ds.test, data=ds, metrics=["class_accuracy"], classes=ds.test_labels)
    assert right["class_accuracy"] == pytest.approx(right["classifier_accuracy"])  # the same images, the same labels
    assert right["class_accuracy"] > 0.9
    wrong = metrics.evaluate(ds.test, data=ds, metrics=["class_accuracy"], classes=(ds.test_labels + 1) % 10)
    assert wrong["class_accuracy"] <= 1 - right["class_accuracy"] + 1e-9


def test_needs_requested_classes_and_a_labelled_image_set():
    ds = load(DataConfig(name="digits"))
    with pytest.raises(GankitError, match="class each sample was asked for"):
        metrics.evaluate(ds.test, data=ds, metrics=["class_accuracy"])
    with pytest.raises(GankitError, match="one per sample"):
        metrics.evaluate(ds.test, data=ds, metrics=["class_accuracy"], classes=torch.zeros(3))
    with pytest.raises(GankitError, match="0..9"):
        metrics.evaluate(ds.test[:2], data=ds, metrics=["class_accuracy"], classes=torch.tensor([0, 10]))
    with pytest.raises(GankitError, match="labelled image data set"):
        metrics.evaluate(torch.randn(5, 2), data="ring8", metrics=["class_accuracy"], classes=torch.zeros(5))
