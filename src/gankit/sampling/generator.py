"""From a trained generator to samples in the data's own units: the one way to draw them.

`gankit.load_generator(RUN)` returns a `Generator`, a torch module that maps z (or a count of
samples) to images in [0, 1] or points in the data's units. `gankit sample`, `evaluate`,
`figures`, `report` and `export` all draw through it; `generate(G, z, info, c)` is the step
underneath, which training also calls on its own nets for sample pictures and in-training FD.

A checkpoint's EMA weights (`G_ema`) are used when it has them, unless `ema=False`. A conditional
run (`model.conditional`) takes a class per sample: given (`c`), or drawn uniformly.

Sample i of a seed depends only on (seed, i): z (and the class, when drawn) of samples
b*BLOCK .. (b+1)*BLOCK-1 is block b, a full block drawn from its own torch generator seeded from
(seed, b) (`block_seed`), whatever n is; G then runs on fixed CHUNK-row slices of the blocks, so
even its arithmetic does not depend on n (a matrix product of 1 or 2 rows takes another kernel).
With a Gaussian prior, `truncation=ψ` in (0, 1] applies the truncation trick to z
(`nets.prior.truncate`), after it is drawn, so sample i of a seed is still a function of (seed, i, ψ).
A table run (csv:PATH) gives one value per column (numbers, category indices, NaN for blanks;
`G.frame` gives the rows as the data was) and takes conditions, `where={"sex": "female"}`
(table.py); the Gumbel noise its G draws beyond z comes, per CHUNK-row slice, from a generator
seeded from (seed, slice), so its rows too depend only on (seed, i).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn

from .. import config as config_mod
from .. import nets
from ..data.dataset import to_data_units
from ..device import resolve_device
from ..errors import GankitError, brief
from ..nets.prior import check_truncation, truncate
from .run import open_checkpoint
from . import table as table_mod

BLOCK = 1000  # samples per noise block: block b of a seed is drawn whole from its own generator
CHUNK = 100  # rows per forward pass of seeded sampling, aligned to the blocks (BLOCK is a multiple)
BATCH = BLOCK  # samples yielded at a time by `Generator.batches`
MAX_SEED = 2 ** 64 - 1


def check_seed(seed: int) -> int:
    """A seed gankit can draw from: an integer from 0 to 2^64 - 1 (torch's generators take no more)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= MAX_SEED:
        raise GankitError(f"--seed must be an integer from 0 to 2^64 - 1, got {seed}")
    return int(seed)


def block_seed(seed: int, block: int, stream: str = "") -> int:
    """The seed of block `block` of `seed`'s noise: numpy's SeedSequence mixes the two into 64 bits,
    so neighbouring seeds and blocks get unrelated streams. Another `stream` (e.g. "table": a table
    G's own noise per slice) gets streams unrelated to z's."""
    key = (int(block),) if not stream else (int(block), int.from_bytes(stream.encode(), "little"))
    state = np.random.SeedSequence(check_seed(seed), spawn_key=key).generate_state(1, np.uint64)
    return int(state[0])


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
        self.truncation: float | None = None  # ψ every draw uses unless given one (`truncated`)
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

    def block(self, seed: int, b: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Block b of a seed: BLOCK draws of z, then (for a conditional run) BLOCK uniform class ids,
        all from one generator seeded from (seed, b). Always drawn whole: torch's streams depend on
        how many values are drawn at once."""
        gen = torch.Generator().manual_seed(block_seed(seed, b))
        z = self.noise(BLOCK, gen)
        return z, (torch.randint(self.num_classes, (BLOCK,), generator=gen) if self.conditional else None)

    def seeded_noise(self, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The z (n×z_dim) and drawn class ids (None unless conditional) of samples 0..n-1 of `seed`:
        G(z, c) gives what `G.draw(n, seed)` does."""
        self._check_n(n)
        blocks = [self.block(seed, b) for b in range(-(-n // BLOCK))]
        z = torch.cat([z for z, _ in blocks])[:n]
        return z, (torch.cat([c for _, c in blocks])[:n] if self.conditional else None)

    def forward(self, z: torch.Tensor | int, c: int | torch.Tensor | None = None, seed: int | None = None,
                truncation: float | None = None) -> torch.Tensor:
        """Samples in data units for z (N×z_dim), or for a count n: samples 0..n-1 of `seed` (see
        the module's note), or with no seed n fresh draws of torch's global RNG; `truncation` ψ
        scales z (given or drawn) by ψ first."""
        truncation = self.truncation if truncation is None else truncation
        check_truncation(self.config.model.prior, truncation)
        if isinstance(z, int):
            if seed is not None:
                return torch.from_numpy(self.draw(z, seed, c, truncation=truncation))
            self._check_n(z)
            z = self.noise(z)
        c = self.classes(len(z), c)
        z = truncate(z, self.config.model.prior, truncation)
        table_mod.seed_net(self.net, None)  # a table G's own noise: torch's global RNG, like z here
        dev = self.device
        return generate(self.net, z.to(dev), self.info, None if c is None else c.to(dev), batch=BATCH)

    def batches(self, n: int, seed: int = 0, c: int | torch.Tensor | None = None,
                batch: int = BATCH, truncation: float | None = None,
                where: dict[str, str] | None = None) -> Iterator[torch.Tensor]:
        """Samples 0..n-1 of `seed`, `batch` at a time: memory bounded by the batch, not by n.
        A table run takes `where` ({column: value}): every row honours every condition."""
        c, truncation, cond = self._prepare(n, seed, c, truncation, where)
        cache: dict[int, tuple[torch.Tensor, torch.Tensor | None]] = {}
        batch = max(int(batch), 1)
        for start in range(0, n, batch):
            yield self._rows(start, min(start + batch, n), seed, c, cache, truncation, cond)

    def _prepare(self, n: int, seed: int, c, truncation: float | None, where: dict[str, str] | None):
        """Every argument of a draw checked before any work: (classes, truncation, a table's
        conditional vector)."""
        self._check_n(n)
        check_seed(seed)
        truncation = self.truncation if truncation is None else truncation
        check_truncation(self.config.model.prior, truncation)
        if c is not None and not isinstance(c, int):
            c = torch.as_tensor(c).long().reshape(-1)
            if len(c) != n:
                raise GankitError(f"got {len(c)} class ids for {n} samples")
        if c is not None:  # a class out of range, or any class for an unconditional run, is refused before any work
            self.classes(1 if isinstance(c, int) else n, c)
        where = table_mod.parse_where(where)
        return c, truncation, table_mod.condition_vector(self, CHUNK, where)  # a bad condition fails here

    def lazy(self, n: int, seed: int = 0, c: int | torch.Tensor | None = None) -> "DrawnSamples":
        """Samples 0..n-1 of `seed`, drawn only when sliced (`DrawnSamples`): what `draw` returns,
        bit for bit, in the memory of one slice."""
        c, truncation, _ = self._prepare(n, seed, c, None, None)
        return DrawnSamples(self, n, seed, c, truncation)

    def _rows(self, start: int, stop: int, seed: int, c: int | torch.Tensor | None,
              cache: dict, truncation: float | None = None, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Samples start..stop-1 of `seed`, G run on the whole CHUNK-row slices that hold them
        (`cond`: a table's conditional vector for a slice, from `where`)."""
        out = []
        for k in range(start // CHUNK, (stop - 1) // CHUNK + 1):
            b, lo = divmod(k * CHUNK, BLOCK)
            if b not in cache:
                cache.clear()  # blocks are visited in order: keep only the current one
                cache[b] = self.block(seed, b)
            z, drawn = cache[b]
            ids = None
            if self.conditional:
                ids = drawn[lo:lo + CHUNK].clone()
                first = k * CHUNK
                if isinstance(c, int):
                    ids[:] = c
                elif c is not None:  # given per sample; the rows past n keep their drawn class
                    given = c[first:first + CHUNK]
                    ids[:len(given)] = given
            if cond is not None:
                ids = cond
            if self.table is not None:  # its G's own noise for slice k, drawn whole: a function of (seed, k)
                table_mod.seed_net(self.net, torch.Generator().manual_seed(block_seed(seed, k, "table")))
            zs = truncate(z[lo:lo + CHUNK], self.config.model.prior, truncation)
            x = generate(self.net, zs.to(self.device), self.info,
                         None if ids is None else ids.to(self.device))
            a, e = max(start - k * CHUNK, 0), min(stop - k * CHUNK, CHUNK)
            out.append(x[a:e])
        return torch.cat(out)

    def draw(self, n: int, seed: int = 0, c: int | torch.Tensor | None = None, batch: int = BATCH,
             truncation: float | None = None, where: dict[str, str] | None = None) -> np.ndarray:
        """Samples 0..n-1 of `seed` as one float32 array (see `gankit.sampling.files` to stream to disk)."""
        rows = self.batches(n, seed, c, batch, truncation, where)
        return torch.cat(list(rows)).numpy().astype(np.float32, copy=False)

    def frame(self, n: int, seed: int = 0, where: dict[str, str] | None = None, batch: int = BATCH):
        """A table run's n rows from `seed` as the data was (a pandas DataFrame: its columns in
        order, its spellings, integers as integers, booleans, blanks), each honouring `where`."""
        import pandas as pd

        if self.table is None:
            raise GankitError(f"{self.where} is not a table run (csv:PATH); draw its samples with G.draw")
        return pd.concat([self.table.to_frame(x.numpy()) for x in self.batches(n, seed, None, batch, where=where)],
                         ignore_index=True)

    def truncated(self, psi: float | None) -> "Generator":
        """This generator with the truncation trick ψ applied to every draw (the same weights;
        None or 1: none), for code that only calls `draw` or `batches`, e.g. sample files."""
        check_truncation(self.config.model.prior, psi)
        G = copy.copy(self)
        G.truncation = psi
        return G

    @staticmethod
    def _check_n(n: int) -> None:
        if n < 1:
            raise GankitError(f"--n must be a positive number of samples, got {n}")

    def provenance(self) -> dict:
        """Which weights these are: checkpoint (latest, best or a path), its step, EMA or not, and
        the truncation ψ when there is one."""
        trunc = {"truncation": self.truncation} if self.truncation not in (None, 1) else {}
        return {"checkpoint": self.checkpoint, "step": self.step, "ema": self.ema, **trunc}


class DrawnSamples:
    """n samples of a seed that are drawn when sliced: `x[a:b]` is `G.draw(n, seed)[a:b]` bit for
    bit (G runs on the same whole CHUNK-row slices of the same noise blocks), so code that reads
    samples a batch at a time (feature nets, classifiers) measures 10,000 samples at 256×256
    (7.9 GB as float32) in the memory of one batch. Each slice is drawn afresh: reading the
    samples twice runs G twice."""

    dtype = torch.float32

    def __init__(self, G: "Generator", n: int, seed: int, c, truncation: float | None):
        self.G, self.n, self.seed, self.c, self.truncation = G, n, seed, c, truncation
        self.shape = torch.Size([n, *G.shape])
        self.slices = 0  # how many slices were drawn (tests read it)

    def __len__(self) -> int:
        return self.n

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, index: slice) -> torch.Tensor:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("DrawnSamples are read in contiguous slices, x[a:b]")
        start, stop, _ = index.indices(self.n)
        if stop <= start:
            return torch.zeros(0, *self.shape[1:])
        self.slices += 1
        x = self.G._rows(start, stop, self.seed, self.c, {}, self.truncation).float().cpu()
        if not torch.isfinite(x).all():
            raise GankitError("the generator made NaN or inf values (its weights diverged): retrain or take an "
                              "earlier checkpoint (--checkpoint)")
        return x

    def numpy(self) -> np.ndarray:
        """All n samples at once (what `G.draw` returns)."""
        return torch.cat([self[i:i + BATCH] for i in range(0, self.n, BATCH)]).numpy()


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
    state, path = open_checkpoint(run, checkpoint)  # refuses a checkpoint copied in from another run
    return generator_from_state(state, checkpoint if checkpoint in ("latest", "best") else str(path),
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
           device: str | None = None, c: int | torch.Tensor | None = None, ema: bool | None = None,
           truncation: float | None = None) -> np.ndarray:
    """n samples of a run as float32: images N×C×H×W in [0,1], points N×D in the data's own units."""
    if n < 1:
        raise GankitError(f"--n must be a positive number of samples, got {n}")
    return load_generator(run, which, ema=ema, device=device).draw(n, seed, c, batch, truncation)
