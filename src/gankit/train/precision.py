"""Numeric precision of the forward passes: `precision = fp32 | bf16 | auto`.

bf16 runs the nets' matmuls under autocast; weights, optimizer state and the losses' reductions
stay in fp32, so only the speed and the rounding of activations change (tests/test_precision.py
bounds the difference on the paper's nets). `auto` picks bf16 only where the hardware multiplies
bf16 matrices natively (CPUs with AMX or AVX512-BF16, CUDA GPUs of compute capability 8.0 or
newer): elsewhere bf16 is emulated through fp32 and only slower.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch

CHOICES = ("fp32", "bf16", "auto")


def native_bf16(device: torch.device) -> tuple[bool, str]:
    """Whether `device` multiplies bf16 matrices natively, and what was found."""
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        return major >= 8, f"CUDA compute capability {major}.{minor}"
    caps = _cpu_capabilities()
    for flag, name in (("amx_bf16", "AMX"), ("avx512_bf16", "AVX512-BF16")):
        if caps.get(flag):
            return True, f"the CPU has {name}"
    return False, "the CPU has neither AMX nor AVX512-BF16"


def _cpu_capabilities() -> dict:
    try:
        return dict(torch._C._cpu._get_cpu_capability())  # what torch's own kernels dispatch on
    except (AttributeError, RuntimeError):
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            return {}
        flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
        return {f: True for f in flags}


def resolve(precision: str, device: torch.device) -> tuple[str, str]:
    """(fp32 | bf16, why) for a config's `precision` on `device`."""
    if precision != "auto":
        return precision, "set in the config"
    native, found = native_bf16(device)
    return ("bf16", f"auto: {found}") if native else ("fp32", f"auto: {found}, so bf16 would be emulated")


def autocast(precision: str, device: torch.device):
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
