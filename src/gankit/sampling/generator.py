"""From a trained generator to samples in the data's own units: the one way to draw them.

`gankit.load_generator(RUN)` returns a `Generator`, a torch module that maps z (or a count of
samples) to images in [0, 1] or points in the data's units. `gankit sample`, `evaluate`,
`figures`, `report` and `export` all draw through it; `generate(G, z, info, c)` is the step
underneath, which training also calls on its own nets for sample pictures and in-training FD.

A checkpoint's EMA weights (`G_ema`) are used when it has them, unless `ema=False`. A conditional
run (`model.conditional`) takes a class per sample: given (`c`), or drawn uniformly. A table run
(csv:PATH) gives one value per column (numbers, category indices, NaN for blanks; `G.frame`
gives the rows as the data was) and takes conditions, `where={"sex": "female"}` (table.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn

from .. import config as config_mod
from .. import nets
from ..checkpoint import load as load_checkpoint
from ..checkpoint import resolve as resolve_checkpoint
from ..data.dataset import to_data_units
from ..device import resolve_device
from ..errors import GankitError, brief
from . import table as table_mod

BATCH = 1000  # samples per forward pass; z is drawn per batch, so a seed gives the same samples for any n


def generate(G: nn.Module, z: torch.Tensor, info: dict, c: torch.Tensor | None = None,
             batch: int | None = None) -> torch.Tensor:
    """G(z) (or G(z, c)) on the CPU in the data's own units, with G in eval mode (batch norm's
    running statistics, no dropout) and no autograd, `batch` rows at a time; G's training mode is
    restored after."""
    was = G.training
    G.eval()
    step = batch or max(len(z), 1)
    try:
        with torch.inference_mode():
            out = [(G(z[i:i + step]) if c is None else G(z[i:i + step], c[i:i + step])).float().cpu()
                   for i in range(0, len(z), step)]
    finally:
        G.train(was)
    return to_data_units(torch.cat(out), info)


class Generator(nn.Module):
    """A trained generator, ready to call: `G(z)` or `G(n, seed=0)` -> samples in data units.

    z is N×z_dim from the run's prior (`G.noise(n)`); a conditional run also takes c, N class
    ids (or one int for all), drawn uniformly when not given. Samples come back on the CPU as
    float32: images N×C×H×W in [0, 1], points N×D in the data's own units (`G.columns`).
    `step`, `checkpoint` and `ema` say which weights these are.
    """

    def __init__(self, net: nn.Module, info: dict, config: config_mod.Config, step: int,
                 checkpoint: str = "latest", ema: bool = False, where: str = "the run"):
        super().__init__()
        self.net, self.info, self.config = net.eval(), info, config
        self.step, self.checkpoint, self.ema, self.where = step, checkpoint, ema, where
        self.kind = info["kind"]
        self.shape = tuple(int(v) for v in info["shape"].tolist())
        self.conditional = bool(getattr(config.model, "conditional", False))
        self.num_classes = int(info.get("num_classes", 0)) if self.conditional else 0
        if self.conditional and self.num_classes < 1:
            raise GankitError(f"{where} is conditional but its checkpoint does not say how many classes "
                              "(data num_classes); it was not written by this gankit")
        self.table = table_mod.codec(info)  # tables: the column transformer; a sample has a value per column
        if self.table is not None:
            self.shape = (len(self.table.names),)
        names = self.table.names if self.table is not None else [c for c in str(info.get("columns", "")).split(",") if c]
        dim = self.shape[0] if self.kind in ("points", "table") and len(self.shape) == 1 else 0
        self.columns = names if len(names) == dim else [f"x{j}" for j in range(dim)]

    @property
    def z_dim(self) -> int:
        return self.config.model.z_dim

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def noise(self, n: int, gen: torch.Generator | None = None) -> torch.Tensor:
        """n draws of z from the run's prior (CPU; torch's global RNG when gen is None)."""
        return nets.sample_noise(self.config.model.prior, n, self.z_dim, gen)

    def classes(self, n: int, c: int | torch.Tensor | None = None,
                gen: torch.Generator | None = None) -> torch.Tensor | None:
        """The class ids for n samples: None for an unconditional run; `c` checked, or uniform draws."""
        if not self.conditional:
            if c is not None:
                raise GankitError(f"--class {c if isinstance(c, int) else '...'}: {self.where} is not a conditional "
                                  "run (model.conditional is false); sample it without --class")
            return None
        if c is None:
            return torch.randint(self.num_classes, (n,), generator=gen)
        ids = torch.full((n,), c, dtype=torch.long) if isinstance(c, int) else torch.as_tensor(c).long().reshape(-1)
        if len(ids) != n:
            raise GankitError(f"got {len(ids)} class ids for {n} samples")
        if len(ids) and (ids.min() < 0 or ids.max() >= self.num_classes):
            bad = int(ids[(ids < 0) | (ids >= self.num_classes)][0])
            raise GankitError(f"--class {bad} is out of range: {self.where} has classes 0..{self.num_classes - 1}")
        return ids

    def forward(self, z: torch.Tensor | int, c: int | torch.Tensor | None = None, seed: int | None = None) -> torch.Tensor:
        """Samples in data units for z (N×z_dim), or for a count n of fresh z (from `seed`, else
        torch's global RNG)."""
        if isinstance(z, int):
            if z < 1:
                raise GankitError(f"need a positive number of samples, got {z}")
            gen = torch.Generator().manual_seed(seed) if seed is not None else None
            z = self.noise(z, gen)
            c = self.classes(len(z), c, gen)
        else:
            gen = None
            c = self.classes(len(z), c)
        table_mod.seed_net(self.net, gen)
        dev = self.device
        return generate(self.net, z.to(dev), self.info, None if c is None else c.to(dev), batch=BATCH)

    def batches(self, n: int, seed: int = 0, c: int | torch.Tensor | None = None,
                batch: int = BATCH, where: dict[str, str] | None = None) -> Iterator[torch.Tensor]:
        """n samples from `seed`, `batch` at a time: memory bounded by the batch, not by n.
        A table run takes `where` ({column: value}): every row honours every condition."""
        if n < 1:
            raise GankitError(f"--n must be a positive number of samples, got {n}")
        if c is not None and not isinstance(c, int):
            c = torch.as_tensor(c).long().reshape(-1)
            if len(c) != n:
                raise GankitError(f"got {len(c)} class ids for {n} samples")
        where = table_mod.parse_where(where)
        table_mod.condition_vector(self, 1, where)  # a bad condition fails before anything is drawn
        gen = torch.Generator().manual_seed(seed)
        table_mod.seed_net(self.net, gen)
        dev = self.device
        for start in range(0, n, batch):
            m = min(batch, n - start)
            z = self.noise(m, gen)
            ids = self.classes(m, c if c is None or isinstance(c, int) else c[start:start + m], gen)
            if where:
                ids = table_mod.condition_vector(self, m, where)
            yield generate(self.net, z.to(dev), self.info, None if ids is None else ids.to(dev))

    def draw(self, n: int, seed: int = 0, c: int | torch.Tensor | None = None, batch: int = BATCH,
             where: dict[str, str] | None = None) -> np.ndarray:
        """n samples from `seed` as one float32 array (see `gankit.sampling.files` to stream to disk)."""
        return torch.cat(list(self.batches(n, seed, c, batch, where))).numpy().astype(np.float32, copy=False)

    def frame(self, n: int, seed: int = 0, where: dict[str, str] | None = None, batch: int = BATCH):
        """A table run's n rows from `seed` as the data was (a pandas DataFrame: its columns in
        order, its spellings, integers as integers, booleans, blanks), each honouring `where`."""
        import pandas as pd

        if self.table is None:
            raise GankitError(f"{self.where} is not a table run (csv:PATH); draw its samples with G.draw")
        return pd.concat([self.table.to_frame(x.numpy()) for x in self.batches(n, seed, None, batch, where)],
                         ignore_index=True)

    def provenance(self) -> dict:
        """Which weights these are: checkpoint (latest, best or a path), its step, EMA or not."""
        return {"checkpoint": self.checkpoint, "step": self.step, "ema": self.ema}


def load_generator(run: str | Path, checkpoint: str = "latest", *, ema: bool | None = None,
                   device: str | None = None) -> Generator:
    """A run's trained generator as a `Generator` module.

    `checkpoint` is "latest", "best" or a path to a .pt file; `ema` None uses the checkpoint's
    EMA weights when it has them, True requires them, False takes the trained G; `device` defaults
    to the run's config (auto: a GPU when there is one).

        G = gankit.load_generator("runs/ring8")
        x = G(1000, seed=0)            # 1000×2 points in ring8's units
        x = G(G.noise(16))             # or from your own z
    """
    path = resolve_checkpoint(run, checkpoint)
    return generator_from_state(load_checkpoint(path), checkpoint if checkpoint in ("latest", "best") else str(path),
                                ema=ema, device=device, where=str(run))


def generator_from_state(state: dict, checkpoint: str = "latest", *, ema: bool | None = None,
                         device: str | None = None, where: str = "the run") -> Generator:
    """The `Generator` of an already loaded checkpoint (see `load_generator`)."""
    cfg = config_mod.from_toml_text(state["config"])
    info = state.get("data") or {}
    if "shape" not in info:
        raise GankitError(f"checkpoint of {where} lacks data info; it was not written by gankit train")
    has_ema = "G_ema" in state
    if ema and not has_ema:
        raise GankitError(f"{where} has no EMA weights (G_ema) in its checkpoint; sample its trained G without asking for EMA")
    use_ema = has_ema if ema is None else bool(ema)
    shape = tuple(int(v) for v in info["shape"].tolist())
    net = nets.build_generator(cfg.model, shape, info["kind"], num_classes=int(info.get("num_classes", 0)),
                               layout=table_mod.layout(info))
    try:
        net.load_state_dict(state["G_ema" if use_ema else "G"])
    except RuntimeError as e:
        raise GankitError(f"checkpoint G{'_ema' if use_ema else ''} of {where} does not fit its own config "
                          f"({brief(e)})") from None
    dev = resolve_device(device or cfg.device)
    return Generator(net.to(dev), info, cfg, int(state["step"]), checkpoint, use_ema, where)


def sample(run: str | Path, n: int, seed: int = 0, which: str = "latest", batch: int = BATCH,
           device: str | None = None, c: int | torch.Tensor | None = None, ema: bool | None = None) -> np.ndarray:
    """n samples of a run as float32: images N×C×H×W in [0,1], points N×D in the data's own units."""
    if n < 1:
        raise GankitError(f"--n must be a positive number of samples, got {n}")
    return load_generator(run, which, ema=ema, device=device).draw(n, seed, c, batch)
