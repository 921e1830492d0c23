"""The training loop and what it runs inside.

- `loop.py`: `fit`, Algorithm 1 of the paper as one loop — k D steps, then one G step;
- `session.py`: `Session`, everything the loop runs inside (nets, optimizers, loss, streams,
  statistics, what is written, when to stop), and `TrainResult`;
- `run.py`: `train`, a new or resumed run (the CLI's `gankit train` calls it);
- the pieces the session is made of: `streams.py` (data, noise, dropout masks, per rank),
  `optim.py` (optimizers and the paper's schedules), `precision.py` (fp32/bf16 autocast),
  `ema.py` (G_ema), `meters.py` (running means), `stopping.py` (signals, time limit),
  `recorder.py` and `runlog.py` (what the main process writes), `resume.py` (continuing a run),
  `tracking.py` (in-training evaluation, best.pt).
"""

from __future__ import annotations

from .loop import fit
from .run import train
from .session import Session, TrainResult
from .streams import Batches, Noise

__all__ = ["fit", "train", "Session", "TrainResult", "Batches", "Noise"]
