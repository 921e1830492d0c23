"""Class coverage: which of the data's classes the samples fall in, by the feature net's classifier.

Each sample gets the class the in-project classifier predicts (see features.py; its test accuracy
is in `feature_net`). With n samples, c_k predicted in class k, and q_k the class frequencies of
the training split:
    classes_covered = number of classes with c_k >= COVER_FRACTION * n * q_k (at least 1), i.e.
                      classes the samples hit at no less than a tenth of the data's rate, so that a
                      dropped class is not counted because of a few misclassified samples;
    class_kl        = KL(p || q) = sum_k p_k log(p_k / q_k) in nats, where p_k = (c_k + 1/2) /
                      (n + K/2): the predicted histogram with a Jeffreys pseudo-count of 1/2 per
                      class, so few samples do not read as confident zeros. 0 for samples spread
                      over the classes as the data are; log K when every sample lands in one of
                      K equally frequent classes.
"""

from __future__ import annotations

import torch

from ..errors import GankitError
from .features import fit, is_labelled, predict
from .registry import EvalContext, register_metric

COVER_FRACTION = 0.1
PSEUDO_COUNT = 0.5


def class_stats(predicted: torch.Tensor, data_labels: torch.Tensor, num_classes: int) -> dict:
    """classes_covered and class_kl of predicted classes against the data's class frequencies."""
    n = len(predicted)
    counts = torch.bincount(predicted.long(), minlength=num_classes).double()[:num_classes]
    q = torch.bincount(data_labels.long(), minlength=num_classes).double()[:num_classes]
    q = q / q.sum()
    p = (counts + PSEUDO_COUNT) / (n + PSEUDO_COUNT * num_classes)
    present = q > 0  # a class absent from the data has no frequency to compare with
    kl = float((p[present] * (p[present] / q[present]).log()).sum())
    covered = int(((counts >= (COVER_FRACTION * n * q).clamp(min=1)) & present).sum())
    return {"classes_covered": covered, "classes_total": int(present.sum()), "class_kl": kl}


@register_metric("classes", "how samples spread over the data's classes (labelled image sets)", {
    "classes_covered": "classes the samples hit at no less than a tenth of the data's rate (higher is better)",
    "classes_total": "classes the data has",
    "class_kl": "KL divergence of the samples' predicted class histogram from the data's, nats (lower is better)",
    "classifier_accuracy": "test accuracy of the classifier that assigns the classes",
}, few_real="the data's class shares come from {n_ref} labels, so class_kl and classes_covered are noisy", streams=True)
def compute(ctx: EvalContext) -> dict:
    ds = ctx.dataset
    if ds.kind != "image" or not is_labelled(ds):
        raise GankitError(f"metric classes needs a labelled image data set (fashion-mnist, mnist, digits, cifar10, "
                          f"folder:PATH with one sub-folder per class); {ds.name} has no class labels")
    net, info = fit(ds, ctx.config, ctx.device)
    ctx.used_reference(len(ds.train_labels))
    out = class_stats(predict(net, ctx.samples), ds.train_labels, ds.num_classes)
    out["classifier_accuracy"] = info["test_accuracy"]
    return out
