"""Where tensors live: `device = auto | cpu | cuda`."""

from __future__ import annotations

import torch

from .errors import GankitError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise GankitError("device = cuda, but no CUDA GPU is visible (set device=cpu or auto)")
    return torch.device(name)
