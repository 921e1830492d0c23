"""Everything Algorithm 1 (`loop.fit`) runs inside: the nets, optimizers, loss and streams of one
process, its statistics, what it writes, and when it stops.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .. import augment, checkpoint, data, losses, nets
from ..data.fingerprint import fingerprint
from ..config import Config, changed_keys, from_toml_text
from ..device import resolve_device
from ..distributed import group as distributed
from ..distributed.group import SINGLE, Rank, local, unwrap
from ..errors import GankitError, brief
from ..losses.scores import Examples
from ..losses.unrolled import Unrolled
from ..sampling import classes as conditional
from ..sampling.generator import generate
from . import optim, table_streams
from . import precision as precision_mod
from .ema import EMA
from .meters import Meters
from .recorder import Recorder
from .stopping import Stopper
from .streams import Batches, Noise, Uniform, dropout_generator


@dataclass
class TrainResult:
    run: Path
    step: int
    stopped: str  # done | time_limit | terminated (SIGTERM) | interrupted (Ctrl-C)
    G: torch.nn.Module
    D: torch.nn.Module
    is_main: bool = True  # the process that reports (rank 0)
    G_ema: torch.nn.Module | None = None  # the moving average of G's weights, when train.ema > 0


class Session:
    """Everything Algorithm 1 runs inside, in small named pieces:

    - per process: the nets and their optimizers, the loss, and the streams the loop draws from
      (`Batches`, `Noise`, dropout masks), each taking this rank's rows of the global batch;
    - `meters`: running means of the losses' statistics, read once per log row;
    - `stopper`: signals and the time limit, agreed by every process;
    - `recorder`: what only the main process writes (log rows, samples, checkpoints);
    - `hooks`: per-step extras (in-training evaluation, …), each returning what to add to the row.
    """

    def __init__(self, config: Config, run: Path, state: dict | None = None, quiet: bool = False,
                 rank: Rank = SINGLE):
        self.config, self.run, self.rank = config, run, rank
        # A failure while building (data, nets, checkpoint) stops every process here, together,
        # before the first collective; then the nets are wrapped for distributed training.
        with rank.together():
            self._build(config, run, state, quiet, rank)
        self.G = distributed.wrap(self.raw_G, rank, self.device)  # what the loop calls
        self.D = distributed.wrap(self.raw_D, rank, self.device)
        self.compile_note = ""
        if config.compile:  # once, next to the nets; checkpoints still save the plain nets' keys
            self.G = torch.compile(self.G)
            if self.loss.double_backward:  # torch.compile's autograd cannot differentiate D twice
                self.compile_note = (f"compile: D stays eager, since {self.loss.double_backward} differentiates D twice, "
                                     f"which torch.compile does not support; G is compiled")
            else:
                self.D = torch.compile(self.D)

    def _build(self, config: Config, run: Path, state: dict | None, quiet: bool, rank: Rank) -> None:
        self.device = rank.device(resolve_device(config.device))
        self.precision_name, self.precision_why = precision_mod.resolve(config.precision, self.device)
        if config.threads:
            torch.set_num_threads(config.threads)
        # names no registry knows fail here, before any data is read
        nets.check_names(config.model)
        nets.check_side(config.model, config.data.name, config.data.size)  # before a folder is decoded
        losses.check_name(config.train)
        augment.parse(config.train.augment)
        # refuse a global batch that does not split evenly (over processes, packs, minibatch-std groups)
        nets.check_batch(config.model, rank.local_batch(config.train.batch_size))
        # a resumed run's data through what its checkpoint fitted (a table's column transformer)
        self.dataset = data.load(config.data, fitted=state.get("data") if state is not None else None)
        if len(self.dataset.train) < 1:
            raise GankitError(f"data set {config.data.name} has no training examples")
        self.info = self.dataset.info()
        self.data_fingerprint = fingerprint(config.data, self.dataset)  # checkpoints record it; resume compares
        if (config.train.augment or config.data.mirror) and self.dataset.kind != "image":
            key = "train.augment" if config.train.augment else "data.mirror"
            raise GankitError(f"config key {key} augments images, and {config.data.name} is not an image data set; "
                              f"turn it off for this data")
        cfg = config.model
        self.num_classes = conditional.num_classes(config, self.dataset)  # 0 unless conditional
        torch.manual_seed(config.seed)  # the nets' initial weights come from here
        pixel_mean = self.dataset.pixel_mean() if self.dataset.kind == "image" else None
        layout = self.dataset.layout  # tables: where each column sits in G's output
        self.raw_G = nets.build_generator(cfg, self.dataset.shape, self.dataset.kind, pixel_mean,
                                          self.num_classes, layout=layout).to(self.device)
        self.raw_D = nets.build_discriminator(cfg, self.dataset.shape, self.dataset.kind, self.num_classes,
                                              layout=layout).to(self.device)
        nets.check_batch_norm(self.raw_G, self.raw_D, config.train.batch_size, cfg.pack)  # BN statistics are global
        if config.channels_last and self.dataset.kind == "image":  # before the optimizers and G_ema copy the weights
            self.raw_G, self.raw_D = (n.to(memory_format=torch.channels_last) for n in (self.raw_G, self.raw_D))
        self.opt_G = optim.build(config.optim, self.raw_G.parameters(), config.optim.lr_g)
        self.opt_D = optim.build(config.optim, self.raw_D.parameters(), config.optim.lr_d)
        if getattr(self.raw_D, "max_norm", 0):  # a weight constraint belongs to the update, not the loop
            self.opt_D.register_step_post_hook(lambda *_: nets.apply_max_norm(self.raw_D, self.raw_D.max_norm))
        self.uniform = Uniform(config.seed, rank)  # a loss's own randomness (WGAN-GP's ε)
        self.loss = losses.build(config.train, self.uniform)
        # what D sees of every image (train.augment), and flips of the real ones (data.mirror)
        self.augment, self.mirror = augment.build(config.train, config.data, config.seed, rank)
        self.loss.augment = self.augment
        self.base_loss = self.loss  # the loss that penalises (lazily: train.reg_every), also inside Unrolled
        if config.train.unroll:
            self.loss = Unrolled(self.loss, config.train.unroll, self.opt_D)
        self.ema = None
        if config.train.ema:  # G_ema follows G after every G step, so fit() stays the paper's loop
            self.ema = EMA(self.raw_G, config.train.ema)
            self.opt_G.register_step_post_hook(lambda *_: self.ema.update(self.raw_G, self.step + 1))
        if self.dataset.kind == "table":  # real rows and noise with the conditional vector
            self.batches, self.z_stream = table_streams.build(self.dataset, config, self.device, rank)
        else:
            labels = self.dataset.train_labels if self.num_classes else None
            self.batches = Batches(self.dataset.train, config.seed, labels=labels, rank=rank, device=self.device)
            self.z_stream = Noise(cfg.prior, cfg.z_dim, config.seed, self.device, rank=rank, num_classes=self.num_classes)
        self.dropouts = nets.dropout_layers(self.raw_G, self.raw_D)
        for i, layer in enumerate(self.dropouts):
            layer.source = nets.MaskSource(dropout_generator(config.seed, i), rank)
        self.step, self.elapsed, self.extra = 0, 0.0, {}
        if state is not None:
            self._restore(state)
        self.fixed_z, self.fixed_c = self._fixed_noise(torch.Generator().manual_seed(config.seed + 7))
        self.meters = Meters(self.device)
        self.stopper = Stopper(config.train.time_limit, rank.maximum if rank.distributed else None)
        self.recorder = Recorder(run, config.train.steps, self.step, config.train.keep_every, quiet=quiet,
                                 keep_last=config.train.keep_checkpoints, rank=rank)
        self.hooks: list = []  # callables(session, step) -> dict | None, run after every step
        self._t_log, self._examples_log = time.monotonic(), self.batches.position
        self.lr_d = self.lr_g = 0.0

    def _fixed_noise(self, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The z (and classes) every sample picture of the run is drawn from: a class-by-row grid
        for conditional image runs, balanced classes for conditional points."""
        cfg, k, image = self.config.model, self.num_classes, self.dataset.kind == "image"
        if k and image:
            z, c = conditional.grid_noise(cfg.prior, cfg.z_dim, k, gen)
        else:
            side = self.dataset.shape[-1] if image else 0
            z = nets.sample_noise(cfg.prior, (64 if side <= 128 else 16) if image else 2000, cfg.z_dim, gen)  # 16 large ones
            c = conditional.balanced(len(z), k) if k else None
        return z.to(self.device), None if c is None else c.to(self.device)

    # -- pieces the loop calls --
    def precision(self):
        return precision_mod.autocast(self.precision_name, self.device)

    @contextlib.contextmanager
    def frozen(self, module: torch.nn.Module):
        """Hold a net's weights fixed (no weight gradients are computed for it); yields the net
        without its distributed wrapper, which would wait for gradients that never come."""
        params = [p for p in unwrap(module).parameters() if p.requires_grad]
        for p in params:
            p.requires_grad_(False)
        try:
            yield local(module)
        finally:
            for p in params:
                p.requires_grad_(True)

    def real_batch(self, m: int) -> Examples:
        batch = self.batches.next_labelled(m)
        return batch if self.mirror is None else Examples(self.mirror(batch.x), batch.c)

    def noise(self, m: int) -> Examples:
        return self.z_stream.labelled(m)

    def schedule(self, step: int) -> None:
        self.base_loss.step = step  # lazy R1/R2 penalise the D steps of every reg_every-th G step
        o = self.config.optim
        self.lr_d = optim.apply_schedule(self.opt_D, o, o.lr_d, step, self.batches.epoch)
        self.lr_g = optim.apply_schedule(self.opt_G, o, o.lr_g, step, self.batches.epoch)

    def should_stop(self) -> str | None:
        return self.stopper.reason()

    def record(self, **values: torch.Tensor) -> None:
        """Statistics of one update (a D step's loss and the loss's own statistics)."""
        self.meters.add(values)

    def after_step(self, step: int, **values: torch.Tensor) -> None:
        self.step = step
        self.meters.add(values)
        if self.augment is not None:
            self.augment.adjust(step)  # ADA's p, every train.ada_interval steps
        t = self.config.train
        extras: dict = {}
        for hook in self.hooks:
            extras.update(hook(self, step) or {})
        if step % t.log_every == 0 or step == t.steps or extras:
            self._log_row(step, extras)
        if t.sample_every and step % t.sample_every == 0:
            self.write_samples()
        if step % t.checkpoint_every == 0 or (t.keep_every and step % t.keep_every == 0):
            self.save_checkpoint()

    # -- around the loop --
    def _means(self) -> dict[str, float]:
        """This interval's means, averaged over processes; divergence stops the run here."""
        means = self.meters.means(self.rank.average if self.rank.distributed else None)
        if not all(math.isfinite(means.get(k, 0.0)) for k in ("loss_d", "loss_g")):
            kept = (f"the last good checkpoint (step {self.recorder.last_saved}) is kept in {self.run / 'checkpoints'}"
                    if self.recorder.has_checkpoint else "no checkpoint had been written yet")
            raise self.rank.error(f"training diverged: a loss became NaN or inf before step {self.step}; {kept} "
                                  f"({self.loss.hint})")
        return means

    def _log_row(self, step: int, extras: dict) -> None:
        means = self._means()
        now = time.monotonic()
        seen = self.batches.position - self._examples_log
        self.recorder.row({
            "step": step, "time": round(self.elapsed + now - self.stopper.t_start, 3),
            "loss_d": means.pop("loss_d", float("nan")), "loss_g": means.pop("loss_g", float("nan")), **means,
            "lr_d": self.lr_d, "lr_g": self.lr_g, "epoch": round(self.batches.epoch, 4),
            "images_per_s": round(seen / max(now - self._t_log, 1e-9), 1), "world_size": self.rank.world_size,
            **(self.augment.log() if self.augment is not None else {}),
            **extras,
        })
        self.meters.reset()
        self._t_log, self._examples_log = now, self.batches.position

    def flush_row(self) -> None:
        """A row for the steps since the last one (a run stopped between two log intervals)."""
        if self.meters.means():
            self._log_row(self.step, {})

    @property
    def G_sampling(self) -> torch.nn.Module:
        """The generator samples come from: G_ema when the run keeps one, else G."""
        return self.ema.net if self.ema is not None else self.raw_G

    def write_samples(self) -> Path | None:
        rows = self.dataset.names()[:conditional.GRID_ROWS] if self.num_classes else None
        x = generate(self.G_sampling, self.fixed_z, self.info, self.fixed_c) if self.rank.is_main else None
        return self.recorder.samples(x, self.dataset, self.step, row_names=rows)

    def state(self) -> dict:
        rng = {"torch": torch.get_rng_state(), "noise": self.z_stream.gen.get_state(),
               "dropout": {str(i): d.source.gen.get_state() for i, d in enumerate(self.dropouts)},
               "loss": self.uniform.gen.get_state()}
        if self.augment is not None:
            rng["augment"] = self.augment.draws.gen.get_state()
        if self.mirror is not None:
            rng["mirror"] = self.mirror.draws.gen.get_state()
        extra_state = {"augment": self.augment.state()} if self.augment is not None else {}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        ema = {"G_ema": self.ema.net.state_dict()} if self.ema is not None else {}
        return {
            "G": self.raw_G.state_dict(), "D": self.raw_D.state_dict(), **ema,
            "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
            "step": self.step, "rng": rng, "config": self.config.to_toml(),
            "format_version": checkpoint.FORMAT_VERSION, "world_size": self.rank.world_size,
            "data": self.info, "data_fingerprint": self.data_fingerprint, "examples_seen": self.batches.position,
            "elapsed": self.elapsed + time.monotonic() - self.stopper.t_start, "extra": dict(self.extra),
            **extra_state,
        }

    def save_checkpoint(self, name: str = "latest") -> None:
        self._means()  # never overwrite a good checkpoint with a diverged one
        self.recorder.checkpoint(self.state(), name)

    def _restore(self, state: dict) -> None:
        try:
            self.raw_G.load_state_dict(state["G"])
            self.raw_D.load_state_dict(state["D"])
            self.opt_G.load_state_dict(state["opt_G"])
            self.opt_D.load_state_dict(state["opt_D"])
            if self.ema is not None:  # a run that turns EMA on when resumed starts it at G
                self.ema.net.load_state_dict(state["G_ema"]) if "G_ema" in state else self.ema.reset(self.raw_G)
        except (RuntimeError, ValueError, KeyError) as e:
            raise GankitError(_misfit(state, self.config, e)) from None
        torch.set_rng_state(state["rng"]["torch"])
        self.z_stream.gen.set_state(state["rng"]["noise"])
        for i, d in enumerate(self.dropouts):
            if str(i) in state["rng"].get("dropout", {}):
                d.source.gen.set_state(state["rng"]["dropout"][str(i)])
        if "loss" in state["rng"]:
            self.uniform.gen.set_state(state["rng"]["loss"])
        # a checkpoint from before augmentation (or that turns it on when resumed) starts its streams fresh
        if self.augment is not None and "augment" in state["rng"]:
            self.augment.draws.gen.set_state(state["rng"]["augment"])
        if self.augment is not None and "augment" in state:
            self.augment.load_state(state["augment"])
        if self.mirror is not None and "mirror" in state["rng"]:
            self.mirror.draws.gen.set_state(state["rng"]["mirror"])
        if "cuda" in state["rng"] and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        self.batches.position = int(state["examples_seen"])
        self.step = int(state["step"])
        self.elapsed = float(state.get("elapsed", 0.0))
        self.extra = dict(state.get("extra", {}))


def _misfit(state: dict, config: Config, error: Exception) -> str:
    """Why a checkpoint's weights do not load into this config's nets, naming the changed keys."""
    try:
        changed = changed_keys(from_toml_text(state["config"]), config)
    except GankitError:
        changed = []
    if changed:
        return (f"the checkpoint's nets were built with other settings: {'; '.join(changed)}. A resumed run "
                f"keeps its nets: resume without changing these keys, or start a new run with --config")
    return f"the checkpoint does not fit this config's nets ({brief(error)})"
