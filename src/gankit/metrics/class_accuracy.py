"""Class accuracy of a conditional generator: how often a sample is the class it was asked for.

With c_i the class G was given for sample i and y_i the class the data set's classifier predicts
for it (the in-project CNN of features.py):
    class_accuracy     = (1/n) Σ_i [y_i = c_i]
    class_accuracy_min = min over the requested classes k of the same fraction among samples of k,
                         so a G that ignores one class cannot hide it in the mean.
The classifier's own accuracy on real test images, `classifier_accuracy`, is the ceiling to read
these against: real images of class k score that, not 1.
"""

from __future__ import annotations

import torch

from ..errors import GankitError
from .features import fit, is_labelled, predict, threads
from .registry import EvalContext, register_metric


def class_accuracy(predicted: torch.Tensor, requested: torch.Tensor) -> dict:
    """class_accuracy and class_accuracy_min of predicted labels against the requested ones."""
    hit = (predicted.long() == requested.long()).double()
    per_class = [float(hit[requested == k].mean()) for k in requested.unique().tolist()]
    return {"class_accuracy": float(hit.mean()), "class_accuracy_min": min(per_class)}


@register_metric("class_accuracy", "conditional runs: how often samples are the class G was asked for", {
    "class_accuracy": "share of samples the classifier puts in the class G was asked for (higher is better; real test images score classifier_accuracy)",
    "class_accuracy_min": "the same share in the worst class",
    "classifier_accuracy": "test accuracy of the classifier that reads the classes",
}, streams=True)
def compute(ctx: EvalContext) -> dict:
    ds = ctx.dataset
    if ctx.classes is None:
        raise GankitError("metric class_accuracy needs the class each sample was asked for: evaluate a conditional "
                          "run's own samples (`gankit evaluate RUN --metrics class_accuracy`, without --samples)")
    if ds.kind != "image" or not is_labelled(ds):
        raise GankitError(f"metric class_accuracy needs a labelled image data set with a classifier (fashion-mnist, "
                          f"mnist, digits, cifar10, folder:PATH with class sub-folders); {ds.name} has none")
    if int(ctx.classes.min()) < 0 or int(ctx.classes.max()) >= ds.num_classes:
        raise GankitError(f"class labels must be in 0..{ds.num_classes - 1} for {ds.name}")
    net, info = fit(ds, ctx.config, ctx.device)
    with threads(ctx.config):
        predicted = predict(net, ctx.samples)
    return {**class_accuracy(predicted, ctx.classes), "classifier_accuracy": info["test_accuracy"]}
