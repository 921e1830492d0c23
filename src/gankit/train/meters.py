"""Running means of the training statistics between two log rows, kept on the device.

Adding a value never waits for the device (no `.item()` per step); the means are read once per
log row. Each name is averaged over every time it was added, so a D statistic is the mean over
all k discriminator steps of every generator step in the interval, not the last one.
"""

from __future__ import annotations

from typing import Callable

import torch


class Meters:
    def __init__(self, device: torch.device):
        self.device = device
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}

    def add(self, values: dict[str, torch.Tensor]) -> None:
        for name, v in values.items():
            v = v.detach().to(torch.float64)
            if name in self._sums:
                self._sums[name] += v
                self._counts[name] += 1
            else:
                self._sums[name], self._counts[name] = v.clone(), 1

    def means(self, reduce: Callable[[torch.Tensor], torch.Tensor] | None = None) -> dict[str, float]:
        """The means since the last `reset`, in one transfer. `reduce` (e.g. an average over
        processes) is applied to the stacked means first."""
        if not self._sums:
            return {}
        names = list(self._sums)
        stacked = torch.stack([self._sums[n] / self._counts[n] for n in names])
        if reduce is not None:
            stacked = reduce(stacked)
        return dict(zip(names, stacked.tolist()))

    def reset(self) -> None:
        self._sums.clear()
        self._counts.clear()
