"""Numeric precision of the forward passes: `precision = fp32 | bf16`.

bf16 runs the nets' matmuls under autocast; weights, optimizer state and the losses' reductions
stay in fp32, so only the speed and the rounding of activations change.
"""

from __future__ import annotations

import contextlib

import torch


def autocast(precision: str, device: torch.device):
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
