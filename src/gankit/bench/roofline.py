"""What a training step must cost: model FLOPs and bytes from the nets' layer shapes, and the
machine's measured matrix-multiply peak and memory bandwidth — the roofline `make bench` compares
gankit's speed with.

FLOPs count the multiply-adds of linear and convolution layers only (2 per multiply-add); the
elementwise work is left out, as model-FLOP utilisation usually does. Per example (one element of
the minibatch) and one generator step with k discriminator steps:

    D steps:  k · (F_G + 2 F_D + 2 F_D + 2 (F_D − f_D1))   G(z) without grad; D forward on real and
                                                            fake; weight gradients; input gradients
                                                            (none needed into the data: f_D1)
    G step:   F_G + F_D + F_D + F_G + (F_G − f_G1)          forward through G and D; D's input
                                                            gradients; G's weight and input gradients

with F the forward FLOPs of one example and f_1 those of the first layer. For the paper's nets
(k = 1) that is 4 F_G + 8 F_D − 2 f_D1 − f_G1 = 35.7 MFLOP per example.

Bytes per generator step (fp32 weights, 4 bytes each, P parameters per net): every forward pass
reads the weights once (bf16: reads 4P, writes and reads a 2P copy); every backward pass reads
them once more for the input gradients and writes the weight gradients; the optimizer reads the
weights and gradients and reads and writes its state (SGD with momentum: 20 bytes per parameter in
all, Adam: 28); the outputs of the linear and conv layers (activations) are written once per
forward pass and read once by its backward pass. Caches can only lower the real traffic below
this count when the weights fit in them, so the bound uses the count as it stands.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class NetCost:
    flops: float  # forward FLOPs per example
    first: float  # of which the first layer's
    params: int
    activations: int  # output elements of the linear/conv layers per example


def net_cost(net: nn.Module, example_shape: tuple[int, ...], z: bool = False) -> NetCost:
    """Forward FLOPs per example of `net`'s linear and convolution layers, from their shapes
    (found by running one example through it)."""
    layers: list[tuple[float, int]] = []

    def hook(module, inputs, output):
        x = inputs[0]
        if isinstance(module, nn.Linear):
            flops = 2 * module.in_features * module.out_features * (x.numel() // x.shape[-1] // len(x))
        elif isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            flops = 2 * module.in_channels // module.groups * k * output[0].numel()
        elif isinstance(module, nn.ConvTranspose2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            flops = 2 * module.out_channels // module.groups * k * x[0].numel()
        else:
            return
        layers.append((float(flops), int(output[0].numel())))

    handles = [m.register_forward_hook(hook) for m in net.modules()
               if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    was = net.training
    net.eval()
    try:
        with torch.no_grad():
            net(torch.zeros(2, *example_shape))
    finally:
        net.train(was)
        for h in handles:
            h.remove()
    return NetCost(sum(f for f, _ in layers), layers[0][0] if layers else 0.0,
                   sum(p.numel() for p in net.parameters()), sum(a for _, a in layers))


def step_flops(G: NetCost, D: NetCost, k: int = 1) -> float:
    """Model FLOPs per example of one generator step with k discriminator steps (module docstring)."""
    d_steps = k * (G.flops + 6 * D.flops - 2 * D.first)
    g_step = 3 * G.flops + 2 * D.flops - G.first
    return d_steps + g_step


def step_bytes(G: NetCost, D: NetCost, batch: int, k: int = 1, optimizer: str = "sgd",
               bf16: bool = False) -> float:
    """Bytes one generator step must move through memory at least (module docstring)."""
    per_forward = 4 + (2 + 2 + 2 if bf16 else 0)  # read fp32 weights (+ write and read a bf16 copy)
    opt = 28 if optimizer == "adam" else 20
    # forward passes: G k+1 times (each D step's fakes, the G step); D k+1 times (real and fake
    # stacked, then the G step's fakes). Backward: G once; D k times (weights) + once (inputs only).
    g = G.params * ((k + 1) * per_forward + (4 + 4) + opt)
    d = D.params * ((k + 1) * per_forward + k * (4 + 4) + 4 + k * opt)
    # activations: G writes them in k+1 forward passes and reads them in one backward; D writes
    # and reads them for 2k+1 batches (real and fake per D step, the fakes of the G step).
    acts = batch * (2 if bf16 else 4) * ((k + 2) * G.activations + 2 * (2 * k + 1) * D.activations)
    return float(g + d + acts)


# --- the machine ----------------------------------------------------------------------------------

def matmul_gflops(m: int, k: int, n: int, dtype: torch.dtype = torch.float32, seconds: float = 1.0) -> float:
    """Measured GFLOP/s of an (m×k)·(k×n) product in `dtype` on the CPU, at torch's thread count."""
    a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    out = torch.empty(m, n, dtype=dtype)
    for _ in range(3):
        torch.mm(a, b, out=out)
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        torch.mm(a, b, out=out)
        reps += 1
    return 2.0 * m * k * n * reps / (time.perf_counter() - t0) / 1e9


def copy_bandwidth(mbytes: int = 512, seconds: float = 1.0) -> float:
    """Measured GB/s of a large tensor copy (bytes read plus bytes written)."""
    n = mbytes * 2 ** 20 // 4
    src, dst = torch.ones(n), torch.empty(n)
    dst.copy_(src)
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        dst.copy_(src)
        reps += 1
    return 2.0 * 4 * n * reps / (time.perf_counter() - t0) / 1e9
