"""One evaluation of real, blurred and noise Fashion-MNIST images, shared by the metric tests
(cached per test process, so fd, kid and prdc tests pay for it once)."""

import functools

import torch
import torch.nn.functional as F

N = 5000


def blur(x: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    r = 4
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    g = torch.exp(-t ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    kernel = (g[:, None] * g[None, :])[None, None]
    return F.conv2d(F.pad(x, (r, r, r, r), mode="replicate"), kernel)


@functools.lru_cache(maxsize=1)
def fashion_scores() -> dict:
    """fd, kid and prdc of N real training images, the same blurred, and uniform noise, each
    against the test split."""
    from gankit import data
    from gankit.config import DataConfig
    from gankit.metrics import evaluate

    ds = data.load(DataConfig(name="fashion-mnist"))
    real = ds.train[:N]
    noise = torch.rand(real.shape, generator=torch.Generator().manual_seed(0))
    sets = {"real": real, "blurred": blur(real), "noise": noise}
    return {k: evaluate(v, data=ds, metrics=["fd", "kid", "prdc"]) for k, v in sets.items()}
