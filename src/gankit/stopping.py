"""When training stops early: a signal (Ctrl-C, a scheduler's SIGTERM) or `train.time_limit`.

A signal only raises a flag; the loop checks it at the start of each step, where the state is
whole, so the run saves and stops between two updates. `agree` lets every process reach the same
decision at the same step (an all-reduce when there are several), so none waits on another.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Callable

import torch

REASONS = ("", "time_limit", "interrupted")  # index = the code processes agree on (the largest wins)


class Stopper:
    def __init__(self, time_limit: float, agree: Callable[[torch.Tensor], torch.Tensor] | None = None):
        self.time_limit = time_limit
        self.t_start = time.monotonic()
        self.signal: int | None = None
        self._agree = agree

    def reason(self) -> str | None:
        """Why to stop before the next step, agreed by every process; None to go on."""
        code = 0
        if self.signal:
            code = 2
        elif self.time_limit and time.monotonic() - self.t_start >= self.time_limit:
            code = 1
        if self._agree is not None:
            code = int(self._agree(torch.tensor([code], dtype=torch.int64)).item())
        return REASONS[code] or None

    @contextlib.contextmanager
    def on_signals(self):
        """SIGINT/SIGTERM ask the loop to stop at the next step boundary; a second SIGINT
        interrupts at once."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def ask(signum, frame):
            if self.signal and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.signal = signum

        old = {s: signal.signal(s, ask) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)
