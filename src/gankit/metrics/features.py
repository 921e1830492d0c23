"""Feature nets for the sample-quality metrics: trained in-project, cached, never downloaded.

Labelled image sets (fashion-mnist, mnist, digits, cifar10, any set with train and test labels)
get a small CNN classifier trained here on the training split with a fixed seed; the features are
its penultimate layer (128 units) joined with its first layer's channel means (32), each block
scaled to unit spread over the training images (see FeatureNet for why); its head gives the class
predictions that `classes` uses.
The trained net is cached under the cache directory, keyed by data set, image shape, content
fingerprint (folders) and a hash of this net's code, with its test accuracy in a JSON file beside
it. A folder with class sub-folders is such a labelled set. Unlabelled image sets (`folder:PATH`
without sub-folders) get the same architecture trained on their own images without labels
(`contrastive.py`: SimCLR's two-views objective), cached the same way. Random features (the
architecture at a fixed seed, untrained) are only a named fallback: for sets under 64 images, or
`metrics.feature_net = "random"`. Every result names its features (`feature_net`).

With `metrics.inception_weights=PATH` the features come instead from torchmetrics' Inception-v3
(torch-fidelity's port of the TF graph that papers use) loaded from that file, so FD is the FID
of papers.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import inspect
import json
import math
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..cache import cache_root, locked
from ..config import Config
from ..console import Progress
from ..data.dataset import pixels
from ..errors import GankitError
from . import contrastive

SEED = 0
PENULTIMATE_DIM = 128
STEM_DIM = 32
FEATURE_DIM = PENULTIMATE_DIM + STEM_DIM
MAX_SIDE = 64  # larger images are average-pooled down to this first, so cost stays bounded
BATCH = 128
LR = 4e-3
MIN_EPOCHS = 4
MIN_STEPS = 600  # small sets (digits: 1497 images) need more passes than large ones

# Test accuracy the trained nets must reach (measured 0.8924 and 0.98); the tests hold them to it.
# mnist and cifar10 get the same recipe, unmeasured here: their files are not installed.
STATED_ACCURACY = {"fashion-mnist": 0.88, "digits": 0.9}


class FeatureNet(nn.Module):
    """Three strided convolutions, a 128-unit layer, a class head; features from two depths.

    The feature vector joins the penultimate layer (128 units: what the image shows, as the
    classifier sees it) with the first convolution's 32 channels averaged over the image (how it
    is drawn: local contrast and edge energy). Each block is divided by its spread over the
    training images (`block_scale`, set once by `calibrate`), so both weigh alike in distances.
    The penultimate layer alone maps out-of-distribution inputs into the data's classes: on
    Fashion-MNIST uniform noise scored precision 0.74 with it, 0.01 with both blocks (docs/metrics.md).

    Strided convolutions instead of pooling keep a Fashion-MNIST epoch cheap on two CPU cores;
    adaptive pooling before the dense layers lets one architecture take any image size.
    """

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(channels, STEM_DIM, 5, stride=2, padding=2), nn.ReLU())
        self.body = nn.Sequential(
            nn.Conv2d(STEM_DIM, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(3), nn.Flatten(),
            nn.Linear(64 * 9, PENULTIMATE_DIM), nn.ReLU(),
        )
        self.head = nn.Linear(PENULTIMATE_DIM, max(num_classes, 1))
        self.register_buffer("block_scale", torch.ones(2))

    def parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(penultimate layer, first-layer channel means), unscaled."""
        x = pixels(x)  # a folder's uint8 images become floats here, one batch at a time
        h, w = x.shape[-2:]
        if max(h, w) > MAX_SIDE:
            x = F.adaptive_avg_pool2d(x, (min(h, MAX_SIDE), min(w, MAX_SIDE)))
        stem = self.stem(x * 2 - 1)  # [0, 1] pixels to [-1, 1]
        return self.body(stem), stem.mean((2, 3))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        pen, low = self.parts(x)
        return torch.cat([pen / self.block_scale[0], low / self.block_scale[1]], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.parts(x)[0])


@torch.no_grad()
def calibrate(net: FeatureNet, images: torch.Tensor, n: int = 5000) -> FeatureNet:
    """Set each feature block's scale to its RMS distance from its mean over (up to n) images."""
    dev = next(net.parameters()).device
    pens, lows = zip(*(net.parts(images[i:i + 500].to(dev)) for i in range(0, min(n, len(images)), 500)))
    for b, block in enumerate((torch.cat(pens), torch.cat(lows))):
        spread = (block - block.mean(0)).pow(2).sum(1).mean().sqrt()
        net.block_scale[b] = spread if spread > 0 else 1.0
    return net


def code_hash() -> str:
    """Hash of the code that defines and trains the net: a change to either retrains it; a change
    to only its comments, docstrings or layout does not."""
    src = "\n".join(source_key(inspect.getsource(f)) for f in (FeatureNet, calibrate, _new_net, _train)) + repr(
        (SEED, PENULTIMATE_DIM, STEM_DIM, MAX_SIDE, BATCH, LR, MIN_EPOCHS, MIN_STEPS))
    return hashlib.sha256(src.encode()).hexdigest()[:12]


def source_key(source: str) -> str:
    """Python source as its syntax tree, without docstrings: what the code does, not how it is
    written down (comments, blank lines, indentation and line breaks leave no trace)."""
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False)


def cache_dir(config: Config | None = None) -> Path:
    """metrics.feature_cache if set, else the shared cache root (gankit.cache)."""
    where = config.metrics.feature_cache if config else ""
    return Path(where).expanduser() if where else cache_root()


def is_labelled(dataset: Any) -> bool:
    return (dataset.train_labels is not None and dataset.test is not None and dataset.test_labels is not None
            and dataset.num_classes > 1)


def _check_images(dataset: Any) -> None:
    if dataset.kind != "image":
        raise GankitError(f"feature-based metrics need image data; {dataset.name} holds points "
                          "(use modes or parzen for toy and tabular data)")


def _key(dataset: Any, kind: str = "featnet", code: str | None = None) -> str:
    """The cache name of a data set's feature net: its name, shape, content fingerprint (folders:
    a changed folder gets a new net) and the hash of the code that trains it."""
    # No dots: the key becomes a file name with a suffix (`.pt`), which a dot in a folder's path cut off.
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in dataset.name)
    content = f"-{dataset.fingerprint[:12]}" if getattr(dataset, "fingerprint", "") else ""
    return f"{kind}-{safe[-80:]}-{'x'.join(map(str, dataset.shape))}{content}-{code or code_hash()}"


def net_paths(dataset: Any, config: Config | None = None, kind: str = "featnet",
              code: str | None = None) -> tuple[Path, Path]:
    """Where the trained net for this data set lives: (weights .pt, info .json). `kind` is
    featnet (the classifier) or contrastive (learnt from unlabelled images)."""
    base = cache_dir(config) / _key(dataset, kind, code)
    return base.with_suffix(".pt"), base.with_suffix(".json")


# --------------------------------------------------------------------------------- the gankit net
def fit(dataset: Any, config: Config | None = None, device: torch.device | str = "cpu",
        force: bool = False) -> tuple[FeatureNet, dict]:
    """Train (or load from the cache) the classifier for a labelled data set; returns (net, info).

    info holds test_accuracy, the training time and where the net is cached. Training is seeded
    and uses its own RNG, so it neither depends on nor disturbs the caller's random state.
    """
    _check_images(dataset)
    if not is_labelled(dataset):
        raise GankitError(f"{dataset.name} has no class labels (train and test), so there is no classifier to fit; "
                          "its metrics use the contrastive net learnt from its images (metrics.feature_net)")

    def train() -> tuple[FeatureNet, dict]:
        net = _train(dataset, torch.device(device))
        acc = accuracy(net, dataset.test, dataset.test_labels)
        print(f"gankit: feature net for {dataset.name}: test accuracy {acc:.4f}", file=sys.stderr)
        return net, {"test_accuracy": acc, "num_classes": dataset.num_classes}

    return _cached(dataset, config, device, force, "featnet", code_hash(),
                   lambda: _new_net(dataset.shape[0], dataset.num_classes), train)


def _cached(dataset: Any, config: Config | None, device, force: bool, kind: str, code: str,
            new: Callable[[], FeatureNet], train: Callable[[], tuple[FeatureNet, dict]]) -> tuple[FeatureNet, dict]:
    """A feature net from the cache (weights .pt, info .json, keyed by data set and code), else
    trained (under a lock, so two processes that need it at once train it once) and cached."""
    weights, info_path = net_paths(dataset, config, kind, code)
    weights.parent.mkdir(parents=True, exist_ok=True)
    with locked(weights):
        if not force and weights.is_file() and info_path.is_file():
            try:
                net = new()
                net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
                return net.to(device).eval(), json.loads(info_path.read_text())
            except Exception as e:  # a half-written or foreign file: say so, then rebuild it
                print(f"gankit: cached feature net {weights} is unreadable ({e}); training it again", file=sys.stderr)
        t0 = time.time()
        with threads(config):
            net, info = train()
        info = {"data": dataset.name, "shape": list(dataset.shape), **info, "seed": SEED, "code_hash": code,
                "train_seconds": round(time.time() - t0, 1), "weights": str(weights)}
        _atomic(weights, lambda p: torch.save({k: v.cpu() for k, v in net.state_dict().items()}, p))
        _atomic(info_path, lambda p: Path(p).write_text(json.dumps(info, indent=1) + "\n"))
        print(f"gankit: saved the {dataset.name} feature net to {weights}", file=sys.stderr)
        return net.eval(), info


def _new_net(channels: int, num_classes: int) -> FeatureNet:
    """A freshly initialised net, the same every time, leaving the caller's RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        return FeatureNet(channels, num_classes)


def _train(dataset: Any, device: torch.device) -> FeatureNet:
    x, y = dataset.train, dataset.train_labels
    per_epoch = math.ceil(len(x) / BATCH)
    epochs = max(MIN_EPOCHS, math.ceil(MIN_STEPS / per_epoch))
    gen = torch.Generator().manual_seed(SEED)
    net = _new_net(dataset.shape[0], dataset.num_classes).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=LR / 4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=epochs * per_epoch)
    net.train()
    with Progress(epochs * per_epoch, f"training the {dataset.name} feature net") as bar:
        for _ in range(epochs):
            perm = torch.randperm(len(x), generator=gen)
            for i in range(0, len(x), BATCH):
                idx = perm[i:i + BATCH]
                loss = F.cross_entropy(net(x[idx].to(device)), y[idx].to(device))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                bar.update(1)
    return calibrate(net.eval(), x)


@torch.no_grad()
def accuracy(net: FeatureNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    pred = predict(net, images)
    return float((pred == labels.cpu()).double().mean())


@torch.no_grad()
def predict(net: FeatureNet, images: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """Predicted class of each image (the classifier head's argmax)."""
    dev = next(net.parameters()).device
    return torch.cat([net(images[i:i + batch].to(dev)).argmax(1).cpu() for i in range(0, len(images), batch)])


def random_net(dataset: Any) -> FeatureNet:
    """The fixed-seed, untrained net: the named fallback (`metrics.feature_net = "random"`, or an
    unlabelled set too small to learn from)."""
    return calibrate(_new_net(dataset.shape[0], 1).eval(), dataset.train)


# ------------------------------------------------------------- learnt from an unlabelled folder
CONTRASTIVE_VIEW = 32  # views are this side: a quarter of the cost of 64 px; features see the full image
CONTRASTIVE_BATCH = 256
CONTRASTIVE_LR = 2e-3
CONTRASTIVE_EPOCHS = 30
CONTRASTIVE_STEPS = (300, 1000)  # fewest and most training steps, whatever the folder's size
MIN_CONTRASTIVE = 64  # fewer training images than this: nothing to learn from; random features


def contrastive_steps(n: int) -> int:
    """Training steps for n images: CONTRASTIVE_EPOCHS passes, within CONTRASTIVE_STEPS."""
    per_epoch = max(1, n // min(CONTRASTIVE_BATCH, n))
    lo, hi = CONTRASTIVE_STEPS
    return min(hi, max(lo, CONTRASTIVE_EPOCHS * per_epoch))


def contrastive_code_hash() -> str:
    """The classifier net's code hash joined with the contrastive training code and settings."""
    src = code_hash() + "\n".join(source_key(inspect.getsource(f)) for f in (
        contrastive.views, contrastive.nt_xent, contrastive.train, fit_contrastive, contrastive_steps)) + repr(
        (CONTRASTIVE_VIEW, CONTRASTIVE_BATCH, CONTRASTIVE_LR, CONTRASTIVE_EPOCHS, CONTRASTIVE_STEPS, contrastive.CROP_AREA,
         contrastive.ASPECT, contrastive.JITTER, contrastive.JITTER_P, contrastive.GRAY_P, contrastive.TEMPERATURE,
         contrastive.PROJECTION))
    return hashlib.sha256(src.encode()).hexdigest()[:12]


def fit_contrastive(dataset: Any, config: Config | None = None, device: torch.device | str = "cpu",
                    force: bool = False) -> tuple[FeatureNet, dict]:
    """Learn (or load from the cache) a feature net from the data set's own training images,
    without labels (`gankit.metrics.contrastive`); returns (net, info).

    The net is gankit's FeatureNet, trained on 32×32 views and applied to whole images (up to
    64×64), so its features join what the image shows (the contrastive layer) with how it is
    drawn (first-layer channel means at full resolution). Cached like the classifiers, keyed by
    the folder's content, so a changed folder gets a new net."""
    _check_images(dataset)
    n = len(dataset.train)
    if n < MIN_CONTRASTIVE:
        raise GankitError(f"{dataset.name} has {n} training images, fewer than the {MIN_CONTRASTIVE} a contrastive "
                          "feature net needs; use metrics.feature_net = \"random\" (or more images)")
    channels = dataset.shape[0]

    def train() -> tuple[FeatureNet, dict]:
        steps, dev = contrastive_steps(n), torch.device(device)
        net, losses = _new_net(channels, 1).to(dev), []
        with Progress(steps, f"learning features from the {n} images of {dataset.name} (contrastive)") as bar:
            contrastive.train(net, dataset.train, steps, batch=CONTRASTIVE_BATCH, lr=CONTRASTIVE_LR,
                              side=min(CONTRASTIVE_VIEW, *dataset.shape[1:]), seed=SEED, device=dev,
                              width=PENULTIMATE_DIM, on_step=lambda loss: (losses.append(loss), bar.update(1)))
        tail = losses[-20:]
        return calibrate(net, dataset.train), {"kind": "contrastive", "images": n, "steps": steps,
                                               "final_loss": round(sum(tail) / len(tail), 4)}

    return _cached(dataset, config, device, force, "contrastive", contrastive_code_hash(),
                   lambda: _new_net(channels, 1), train)


FEATURE_NETS = ("auto", "classifier", "contrastive", "random")


def choose(dataset: Any, want: str = "auto") -> str:
    """Which feature net a data set gets (`metrics.feature_net`): auto is the classifier when the
    set has class labels (sub-folders, for folders), the contrastive net when it has at least
    MIN_CONTRASTIVE unlabelled training images, and random features below that."""
    if want == "auto":
        if is_labelled(dataset):
            return "classifier"
        return "contrastive" if len(dataset.train) >= MIN_CONTRASTIVE else "random"
    if want == "classifier" and not is_labelled(dataset):
        raise GankitError(f"metrics.feature_net = \"classifier\" needs class labels, and {dataset.name} has none "
                          "(for a folder: one sub-folder per class); use auto, contrastive or random")
    return want


# ------------------------------------------------------------------- torchmetrics feature module
class FeatureExtractor(nn.Module):
    """The `feature` module handed to torchmetrics' FID and KID.

    Images (N×C×H×W floats in [0, 1]) go through the feature net; an N×F matrix is taken as
    features already extracted (the cached reference statistics), so real and generated features
    enter torchmetrics through the same `update`. Output is float64, so torchmetrics' sums,
    covariances and kernels are all computed in double precision.
    """

    def __init__(self, net: nn.Module, name: str, num_features: int):
        super().__init__()
        self.net = net
        self.name = name  # what `feature_net` reports
        self.num_features = num_features  # torchmetrics reads this instead of a dummy forward

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:
            return x.double()
        return self.net.features(x).double()

    @torch.no_grad()
    def extract(self, images: torch.Tensor, batch: int = 500) -> torch.Tensor:
        """N×F float32 features of N images, batched, on the net's device, returned on the CPU."""
        dev = next(self.net.parameters()).device
        out = [self.net.features(images[i:i + batch].to(dev)).float().cpu() for i in range(0, len(images), batch)]
        return torch.cat(out) if out else torch.zeros(0, self.num_features)


class InceptionFeatures(nn.Module):
    """torchmetrics' Inception-v3 (2048-d pool features) taking gankit's [0, 1] float images."""

    def __init__(self, path: str):
        super().__init__()
        self.inception = _load_inception(path)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        # The conversion torchmetrics' own FID applies with normalize=True (uint8 pixels as they are).
        return self.inception(x if x.dtype == torch.uint8 else (x * 255).byte())


INCEPTION_KEYS = ("Conv2d_1a_3x3.conv.weight", "Mixed_7c.branch_pool.conv.weight", "fc.weight")


def _load_inception(path: str) -> nn.Module:
    p = Path(path).expanduser()
    how = ("give the path of the Inception-v3 FID weights file "
           "(weights-inception-2015-12-05-6726825d.pth from torch-fidelity's releases); gankit never downloads")
    if not p.is_file():
        raise GankitError(f"metrics.inception_weights: {p} not found ({how})")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:
        raise GankitError(f"metrics.inception_weights: {p} is not a readable PyTorch weights file "
                          f"({type(e).__name__}); {how}") from None
    if not isinstance(state, dict) or not all(k in state for k in INCEPTION_KEYS):
        raise GankitError(f"metrics.inception_weights: {p} holds no Inception-v3 state dict; {how}")
    try:
        from torchmetrics.image.fid import NoTrainInceptionV3
        from torchmetrics.utilities.imports import _TORCH_FIDELITY_AVAILABLE
    except ImportError as e:  # pragma: no cover - torchmetrics is a hard dependency
        raise GankitError(f"cannot import torchmetrics' Inception ({e})") from None
    if not _TORCH_FIDELITY_AVAILABLE:
        raise GankitError("metrics.inception_weights needs torch-fidelity: pip install 'gankit[fid]' "
                          "(or unset metrics.inception_weights to use gankit's own feature net)")
    try:
        # The file already loaded under weights_only=True above, so torch-fidelity's own
        # full-pickle load of it can only rebuild tensors.
        return NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"],
                                  feature_extractor_weights_path=str(p))
    except Exception as e:
        raise GankitError(f"metrics.inception_weights: {p} does not fit Inception-v3 ({e}); {how}") from None


def extractor(dataset: Any, config: Config | None = None, device: torch.device | str = "cpu") -> FeatureExtractor:
    """The feature module for a data set under a config: Inception, the trained net, or a random net."""
    config = config or Config()
    _check_images(dataset)
    if config.metrics.inception_weights:
        p = Path(config.metrics.inception_weights).expanduser()
        net: nn.Module = InceptionFeatures(str(p)).to(device)
        return FeatureExtractor(net, f"inception-v3 ({p.name})", 2048)
    shape = "x".join(map(str, dataset.shape))
    which = choose(dataset, config.metrics.feature_net)
    if which == "classifier":
        net, info = fit(dataset, config, device)
        name = f"gankit-cnn-{dataset.name}-{shape} (test accuracy {info['test_accuracy']:.3f}, not Inception)"
    elif which == "contrastive":
        net, info = fit_contrastive(dataset, config, device)
        content = f"-{dataset.fingerprint[:8]}" if getattr(dataset, "fingerprint", "") else ""
        name = (f"gankit-contrastive-{dataset.name}-{shape}{content}-{info['code_hash'][:8]} "
                f"(self-supervised on its {info['images']} training images, not Inception)")
    else:
        net = random_net(dataset).to(device)
        why = "" if config.metrics.feature_net == "random" else f", fewer than {MIN_CONTRASTIVE} images to learn from"
        name = f"gankit-random-cnn-seed{SEED}-{shape} (untrained{why}, not Inception)"
    return FeatureExtractor(net.eval(), name, FEATURE_DIM)


# ----------------------------------------------------------------------------------- features
def reference_split(dataset: Any) -> tuple[str, torch.Tensor]:
    """(name, images) of the real images metrics compare against: the test split (else the
    validation split); when that holds fewer than TINY_REFERENCE images, the training split if it
    is larger (a 200-image folder leaves 10 test images, against which colour blobs scored
    precision 0.97). Samples that copy training images then score as real: the warning says so."""
    from .evaluation import TINY_REFERENCE

    held_out = next(((name, split) for name, split in (("test", dataset.test), ("validation", dataset.val))
                     if split is not None and len(split) > 0), None)
    if held_out is not None and (len(held_out[1]) >= TINY_REFERENCE or len(dataset.train) <= len(held_out[1])):
        return held_out
    if len(dataset.train) > 0:
        return "training", dataset.train
    raise GankitError(f"{dataset.name} holds no images to compare with")


def reference_images(dataset: Any) -> torch.Tensor:
    """The real images metrics compare against (`reference_split`)."""
    return reference_split(dataset)[1]


def reference_features(fx: FeatureExtractor, dataset: Any, config: Config | None = None) -> torch.Tensor:
    """Features of every reference image, cached on disk by feature net and image content."""
    return split_features(fx, reference_images(dataset), config)


def split_features(fx: FeatureExtractor, images: torch.Tensor, config: Config | None = None) -> torch.Tensor:
    """Features of a split's images (N×F float32), cached on disk by feature net and image content."""
    digest = hashlib.sha256(fx.name.encode())
    for i in range(0, len(images), 1000):  # in chunks: a memory-mapped split is never copied whole
        digest.update(images[i:i + 1000].contiguous().numpy().tobytes())
    path = cache_dir(config) / f"ref-{digest.hexdigest()[:16]}.npy"
    if path.is_file():
        try:
            arr = np.load(path, allow_pickle=False)
            if arr.shape == (len(images), fx.num_features):
                return torch.from_numpy(arr)
        except (OSError, ValueError):
            pass  # unreadable: recompute and overwrite
    feats = fx.extract(images)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic(path, lambda p: _save_npy(p, feats.numpy()))
    return feats


def feature_sets(ctx: Any) -> tuple[FeatureExtractor, torch.Tensor, torch.Tensor]:
    """(extractor, real features, generated features) for one evaluate call, computed once and
    shared by fd, kid and prdc. The reference holds up to as many real images as there are samples."""
    if "features" not in ctx.cache:
        fx = extractor(ctx.dataset, ctx.config, ctx.device)
        with threads(ctx.config, fx):
            real = reference_features(fx, ctx.dataset, ctx.config)[: len(ctx.samples)]
            fake = fx.extract(ctx.samples)
        ctx.cache["features"] = (fx, real, fake)
    ctx.used_reference(len(ctx.cache["features"][1]))
    split, images = reference_split(ctx.dataset)
    if split == "training":
        held = len(ctx.dataset.test) if ctx.dataset.test is not None else 0
        ctx.warn(f"{ctx.metric} compared the samples with {len(ctx.cache['features'][1])} training images, not with "
                 f"held-out ones: {ctx.dataset.name}'s test split has only {held}, too few to measure against; samples "
                 f"that copy training images score as real here")
    return ctx.cache["features"]


def features(samples: Any, data: Any = None, config: Config | None = None) -> np.ndarray:
    """N×F float32 features of images (N×C×H×W in [0, 1]) under the data set's feature net."""
    from .. import data as data_mod
    from ..config import DataConfig
    from ..device import resolve_device
    from .evaluation import as_samples, check_samples

    config = config or Config()
    if isinstance(data, str):
        data = data_mod.load(DataConfig(**{**config.data.__dict__, "name": data}))
    elif data is None:
        data = data_mod.load(config.data)
    x = as_samples(samples)
    check_samples(x, data)
    fx = extractor(data, config, resolve_device(config.device))
    with threads(config, fx):
        return fx.extract(x).numpy()


# ----------------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def threads(config: Config | None, fx: "FeatureExtractor | None" = None):
    """CPU threads for gankit's feature nets: `threads` from the config, else one.

    Their convolutions are small: measured on a two-core machine shared with other jobs, a
    training step took 0.03 s on one thread and 0.37 s on two (the threads wait on each other).
    Inception's large convolutions keep torch's default.
    """
    want = config.threads if config is not None and getattr(config, "threads", 0) else 0
    if not want and isinstance(getattr(fx, "net", None), InceptionFeatures):
        yield
        return
    want = want or 1
    before = torch.get_num_threads()
    torch.set_num_threads(want)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _save_npy(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would append .npy to the temporary name
        np.save(f, arr)


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)
