"""When training stops early: a signal (Ctrl-C, a scheduler's SIGTERM) or `train.time_limit`.

A signal only raises a flag; the loop checks it at the start of each step, where the state is
whole, so the run saves and stops between two updates. `agree` lets every process reach the same
decision at the same step (an all-reduce when there are several), so none waits on another.

SIGTERM is how schedulers (Slurm, Kubernetes, torchrun passing its own on) ask a job to end: the
run saves and ends normally ("terminated", exit 0), ready to be resumed. Ctrl-C (SIGINT) is a
person stopping it ("interrupted", exit 130); a second Ctrl-C, a second or more after the first,
interrupts at once (a launcher forwarding the same keypress to its processes sends it twice within
milliseconds, which counts as one).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Callable

import torch

# index = the code processes agree on (the largest wins)
REASONS = ("", "time_limit", "terminated", "interrupted")
SIGNAL_REASONS = {signal.SIGTERM: "terminated", signal.SIGINT: "interrupted"}
REPEAT_AFTER = 1.0  # seconds: a second SIGINT sooner than this is the same keypress, forwarded


class Stopper:
    def __init__(self, time_limit: float, agree: Callable[[torch.Tensor], torch.Tensor] | None = None):
        self.time_limit = time_limit
        self.t_start = time.monotonic()
        self.signal: int | None = None
        self._signal_time = 0.0
        self._agree = agree

    def reason(self) -> str | None:
        """Why to stop before the next step, agreed by every process; None to go on."""
        code = 0
        if self.signal:
            code = REASONS.index(SIGNAL_REASONS.get(self.signal, "interrupted"))
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
            now = time.monotonic()
            if self.signal == signal.SIGINT and signum == signal.SIGINT and now - self._signal_time >= REPEAT_AFTER:
                raise KeyboardInterrupt
            if self.signal is None or signum == signal.SIGINT:  # Ctrl-C outranks a SIGTERM
                if self.signal != signum:
                    self._signal_time = now
                self.signal = signum

        old = {s: signal.signal(s, ask) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)
