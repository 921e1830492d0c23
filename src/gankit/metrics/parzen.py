"""Parzen-window log-likelihood, the protocol of Goodfellow et al. (2014), Table 1.

Gaussian kernels of width σ sit on N generated samples μ_i (flattened, pixels in [0, 1]):

    log p(x) = logsumexp_i(−‖x − μ_i‖² / 2σ²) − log N − d·log(σ√(2π))

σ is chosen from logspace(−1, 0, 10) by the mean log-likelihood of the validation split, and the
test split's mean log-likelihood is reported with its standard error std/√n (numpy's std, ddof=0,
as the paper's `parzen_ll.py` does).

That grid suits pixels in [0, 1], not data in its own units (dollars, or ring8's modes of width
0.01). Points data is therefore measured in standard units: each column divided by its standard
deviation over the training split, σ chosen from a grid around Silverman's rule of thumb
n^(−1/(d+4)) for n samples in d dimensions, and the log-likelihood moved back to the data's units
by the change of variables, log p(x) = log p_std(x / s) − Σ_j log s_j. Whenever the chosen σ sits
at an edge of its grid, the best width lies outside it and the result says so in a warning.

Squared distances come from ‖x‖² + ‖μ‖² − 2x·μ as one matrix product per block of points. The
expansion cancels badly in float32 (terms near 100 leave differences near 1e-5 in error, and
1/2σ² = 50 at σ = 0.1 amplifies them), so the product and the sum run in float64 and the result
is clamped at 0; one pass over the distances serves every σ in the grid.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import GankitError
from .registry import EvalContext, register_metric

SIGMAS = np.logspace(-1, 0, 10)  # the paper's grid, for pixels in [0, 1]
# Elements of one float64 distance block (rows × samples): 2^24 × 8 bytes = 128 MiB, plus as much
# again for the exponent; bounded whatever the number of samples.
BLOCK_ELEMENTS = 1 << 24


def _as_2d(a, name: str, device: torch.device | None = None) -> torch.Tensor:
    t = torch.as_tensor(a) if not torch.is_tensor(a) else a
    t = t.detach().to(device=device or t.device, dtype=torch.float64)
    if t.ndim == 0 or len(t) == 0 or t[0].numel() == 0:
        raise GankitError(f"parzen: {name} is empty; need at least one point")
    return t.reshape(len(t), -1)


def _block_rows(n_samples: int, chunk: int | None) -> int:
    if chunk is not None:
        if chunk < 1:
            raise GankitError(f"parzen: chunk must be >= 1, got {chunk}")
        return chunk
    return max(1, BLOCK_ELEMENTS // max(1, n_samples))


def parzen_log_likelihood(samples, x, sigma, chunk: int | None = None,
                          device: torch.device | str | None = None) -> np.ndarray:
    """log p(x) under the Parzen window of `samples` with width `sigma`, per point of `x`.

    `samples` is N×… and `x` is M×… (flattened to N×d and M×d). `sigma` is a number (returns M
    values) or a sequence of widths (returns len(sigma)×M). `chunk` is the number of points of x
    per block (default: as many as keep one block near 2^24 distances).
    """
    dev = torch.device(device) if device is not None else None
    mu = _as_2d(samples, "samples", dev)
    xs = _as_2d(x, "x", mu.device)
    if mu.shape[1] != xs.shape[1]:
        raise GankitError(f"parzen: samples have {mu.shape[1]} values each but points have {xs.shape[1]}")
    sig = np.atleast_1d(np.asarray(sigma, dtype=np.float64))
    if sig.ndim != 1 or not np.all(sig > 0) or not np.all(np.isfinite(sig)):
        raise GankitError(f"parzen: sigma must be positive and finite, got {sigma!r}")
    n, d = mu.shape
    const = torch.tensor(math.log(n) + d * np.log(sig * math.sqrt(2 * math.pi)), dtype=torch.float64)
    inv = torch.tensor(-0.5 / sig**2, dtype=torch.float64, device=mu.device)
    mu_sq = (mu * mu).sum(1)
    rows = _block_rows(n, chunk)
    out = torch.empty(len(sig), len(xs), dtype=torch.float64)
    for start in range(0, len(xs), rows):
        xb = xs[start:start + rows]
        d2 = torch.addmm(mu_sq[None, :] + (xb * xb).sum(1)[:, None], xb, mu.T, alpha=-2.0).clamp_(min=0.0)
        for j in range(len(sig)):
            out[j, start:start + len(xb)] = torch.logsumexp(d2 * inv[j], dim=1).cpu()
    out -= const[:, None]
    res = out.numpy()
    return res[0] if np.ndim(sigma) == 0 else res


def select_sigma(samples, val, sigmas=SIGMAS, chunk: int | None = None,
                 device: torch.device | str | None = None) -> tuple[float, np.ndarray]:
    """The width with the highest mean validation log-likelihood, and every width's mean."""
    sigmas = np.asarray(sigmas, dtype=np.float64)
    means = parzen_log_likelihood(samples, val, sigmas, chunk=chunk, device=device).mean(axis=1)
    return float(sigmas[int(np.argmax(means))]), means


def parzen(samples, val, test, sigmas=SIGMAS, chunk: int | None = None,
           device: torch.device | str | None = None) -> dict:
    """The paper's protocol: σ by validation, then mean ± standard error on the test points."""
    sigma, _ = select_sigma(samples, val, sigmas, chunk=chunk, device=device)
    ll = parzen_log_likelihood(samples, test, sigma, chunk=chunk, device=device)
    return {"parzen_ll": float(ll.mean()), "parzen_sem": float(ll.std() / math.sqrt(len(ll))),
            "parzen_sigma": sigma}


@register_metric("parzen", "Parzen-window log-likelihood of the test split (the paper's Table 1)", {
    "parzen_ll": "mean log-likelihood of the test split under Gaussian kernels on the samples, nats (higher is better)",
    "parzen_sem": "standard error of parzen_ll",
    "parzen_sigma": "kernel width chosen on the validation split (pixels; for points data, in standard deviations of each column)",
}, few_real="parzen_ll is a mean over {n_ref} test points (its parzen_sem is large) and σ was chosen on a "
            "validation split as small")
def compute(ctx: EvalContext) -> dict:
    from ..data.dataset import pixels, to_data_units
    from ..data.table.columns import Numeric

    ds = ctx.dataset
    test = ds.test if ds.test is not None else ds.val
    # Small sets may lack a validation split; σ is then chosen on the training set, never on test.
    val = ds.val if ds.val is not None else ds.train
    if test is None:
        raise GankitError(f"metric parzen needs a test or validation split, and {ds.name} has neither")
    ctx.used_reference(len(test))
    if ds.kind == "table" and not all(isinstance(c, Numeric) and not c.blank for c in ds.table.codec.columns):
        raise GankitError(f"metric parzen needs a table of numbers without blanks; {ds.name} has categories or "
                          "blanks (use --metrics table)")
    if ds.kind == "image":
        out, grid = parzen(ctx.samples, pixels(val), pixels(test), device=ctx.device), SIGMAS
    else:
        info = ds.info()
        real = [to_data_units(split, info).double() for split in (ds.train, val, test)]
        scale = real[0].std(0).clamp_min(1e-12)
        grid = points_sigmas(len(ctx.samples), ctx.samples.shape[1])
        out = parzen(ctx.samples.double() / scale, real[1] / scale, real[2] / scale, grid, device=ctx.device)
        out["parzen_ll"] -= float(scale.log().sum())  # density per data unit, not per standard unit
    if (note := edge_warning(out["parzen_sigma"], grid)):
        ctx.warn(note)
    return out


def points_sigmas(n: int, d: int, num: int = 13) -> np.ndarray:
    """Widths in standard units from 1/30 to 3 times Silverman's rule n^(−1/(d+4)) (a factor of
    about 1.5 apart): wide enough for tight modes (ring8) and for smooth tabular data alike."""
    h = (4.0 / (d + 2)) ** (1.0 / (d + 4)) * max(n, 1) ** (-1.0 / (d + 4))
    return h * np.logspace(math.log10(1 / 30), math.log10(3), num)


def edge_warning(sigma: float, grid) -> str | None:
    """A warning when σ is the smallest or largest width tried: the best lies beyond the grid."""
    grid = np.asarray(grid, dtype=np.float64)
    if len(grid) < 2 or not (np.isclose(sigma, grid.min()) or np.isclose(sigma, grid.max())):
        return None
    edge = "smallest" if np.isclose(sigma, grid.min()) else "largest"
    return (f"parzen: the chosen width sigma = {sigma:.4g} is the {edge} of its grid "
            f"[{grid.min():.4g}, {grid.max():.4g}], so the best width lies outside it and parzen_ll "
            "understates the likelihood (the samples may be far from the data, or nearly identical)")
