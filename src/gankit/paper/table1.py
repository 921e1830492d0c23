"""Table 1 of Goodfellow et al. (2014) on the data we have: `gankit paper table`.

Every row is scored by the same Parzen-window protocol (gankit.metrics.parzen) on the test split:
10k "samples" from a GAN run beside three references that need no training of a generator —
10k real training images, 10k k-means centroids of the training set, and 10k draws from a
Gaussian fitted to the training set — and the paper's published rows, labelled as quoted.
That real images and blurry centroids score so well is the point: a Parzen estimate in 784
dimensions rewards being near test images, not being a good model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..config import DataConfig
from ..errors import GankitError
from ..metrics.parzen import parzen

N_SAMPLES = 10_000

# Table 1 of the paper: Parzen window log-likelihood (mean ± standard error), quoted, not measured.
QUOTED = [
    ("DBN [3]", (138, 2), (1909, 66)),
    ("Stacked CAE [3]", (121, 1.6), (2110, 50)),
    ("Deep GSN [6]", (214, 1.1), (1890, 29)),
    ("Adversarial nets", (225, 2), (2057, 26)),
]


@dataclass
class Row:
    name: str
    ll: float
    sem: float
    sigma: float | None = None
    seconds: float | None = None
    note: str = ""


def flat(x) -> np.ndarray:
    t = torch.as_tensor(np.asarray(x)) if not torch.is_tensor(x) else x
    return t.reshape(len(t), -1).numpy().astype(np.float32)


def real_samples(train, n: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """n training images (without replacement, a fixed permutation) used as the model's samples."""
    x = flat(train)
    idx = np.random.default_rng(seed).permutation(len(x))[:min(n, len(x))]
    return x[np.sort(idx)]


def kmeans_centroids(train, n: int = N_SAMPLES, epochs: float = 2.0, batch_size: int = 10_000,
                     seed: int = 0) -> np.ndarray:
    """n k-means centroids of the training set (mini-batch k-means, a fixed number of passes).

    With 50k images and 10k centroids each centroid averages a handful of images; more passes move
    the score little, so the work is bounded by `epochs` rather than run to convergence.
    """
    from sklearn.cluster import MiniBatchKMeans

    x = flat(train)
    n = min(n, len(x))
    batch_size = max(batch_size, n)  # the first batch initializes all centroids
    km = MiniBatchKMeans(n_clusters=n, init="random", n_init=1, batch_size=batch_size, random_state=seed)
    rng = np.random.default_rng(seed)
    steps = max(1, int(round(epochs * len(x) / batch_size)))
    order = np.concatenate([rng.permutation(len(x)) for _ in range(steps * batch_size // len(x) + 1)])
    for i in range(steps):
        batch = order[i * batch_size:(i + 1) * batch_size]
        if len(batch) < n:
            batch = rng.choice(len(x), batch_size, replace=len(x) < batch_size)
        km.partial_fit(x[batch])
    return km.cluster_centers_.astype(np.float32)


def gaussian_samples(train, n: int = N_SAMPLES, seed: int = 0, clip: bool = True) -> np.ndarray:
    """n draws from N(mean, covariance) fitted to the training set, clipped to [0, 1] by default
    (pixels outside the image range would only be penalised by the kernels)."""
    x = flat(train).astype(np.float64)
    mean = x.mean(0)
    cov = np.cov(x, rowvar=False)
    # The covariance of images is singular (constant border pixels); a tiny ridge makes it PSD
    # to rounding so the Cholesky factor exists.
    cov += 1e-6 * np.eye(len(cov))
    L = np.linalg.cholesky(cov)
    z = np.random.default_rng(seed).standard_normal((n, len(mean)))
    s = mean + z @ L.T
    return (np.clip(s, 0, 1) if clip else s).astype(np.float32)


def run_samples(run: str | Path, n: int = N_SAMPLES, seed: int = 0, which: str = "latest") -> np.ndarray:
    from ..sampling.generator import sample

    return flat(sample(run, n, seed=seed, which=which))


def score(name: str, samples, dataset, note: str = "") -> Row:
    t = time.monotonic()
    r = parzen(samples, dataset.val if dataset.val is not None else dataset.train, dataset.test)
    return Row(name, r["parzen_ll"], r["parzen_sem"], r["parzen_sigma"], time.monotonic() - t, note)


def table(data: str = "fashion-mnist", run: str | Path | None = None, data_dir: str = "", n: int = N_SAMPLES,
          kmeans_epochs: float = 2.0, seed: int = 0, log=None) -> list[Row]:
    """The measured rows of Table 1 for `data`; `log(str)` hears progress."""
    from .. import data as data_mod

    log = log or (lambda s: None)
    try:
        ds = data_mod.load(DataConfig(name=data, dir=data_dir))
    except GankitError as e:
        raise GankitError(f"{e} — for `gankit paper table`, give the folder as --data-dir") from None
    if ds.kind != "image" or ds.test is None:
        raise GankitError(f"paper table needs an image data set with a test split (fashion-mnist, mnist), not {data}")
    rows = []
    if run is not None:
        log(f"sampling {n} images from {run}")
        rows.append(score(f"GAN ({Path(run).name})", run_samples(run, n, seed), ds, "this run, latest checkpoint"))
    log("real training images")
    rows.append(score("real training images", real_samples(ds.train, n, seed), ds, f"{min(n, len(ds.train))} of train"))
    log("k-means centroids")
    t = time.monotonic()
    cents = kmeans_centroids(ds.train, n, kmeans_epochs, seed=seed)
    rows.append(score("k-means centroids", cents, ds, f"mini-batch k-means, {kmeans_epochs:g} passes, "
                                                      f"{time.monotonic() - t:.0f} s"))
    log("Gaussian fit")
    rows.append(score("Gaussian fit", gaussian_samples(ds.train, n, seed), ds, "full covariance, clipped to [0,1]"))
    return rows


def format_table(rows: list[Row], data: str) -> str:
    lines = [f"Table 1 on {data}: Parzen window log-likelihood of the test set (mean ± s.e., nats)",
             f"{'model':<26} {'log-likelihood':>16} {'sigma':>7}  notes"]
    for r in rows:
        lines.append(f"{r.name:<26} {r.ll:>9.1f} ± {r.sem:<5.1f} {r.sigma:>7.3f}  {r.note}")
    lines += ["", "Quoted from the paper (MNIST and TFD; not measured here):",
              f"{'model':<26} {'MNIST':>12} {'TFD':>12}"]
    for name, (m, ms), (t, ts) in QUOTED:
        lines.append(f"{name:<26} {f'{m} ± {ms}':>12} {f'{t} ± {ts}':>12}")
    return "\n".join(lines)
