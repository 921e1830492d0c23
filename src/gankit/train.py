"""Algorithm 1 of Goodfellow et al. (2014): minibatch stochastic gradient training of GANs.

`fit` is the paper's loop and nothing else. Everything around it — data and noise sources,
precision, schedules, logging, samples, checkpoints, stopping — is set up by `Session`, so that
distribution or new precisions slot in without touching the loop.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from . import checkpoint, data, nets, optim, plots
from .config import Config
from .device import resolve_device
from .errors import GankitError
from .losses import GENERATOR_LOSSES, discriminator_loss
from .precision import autocast
from .runlog import RunLog


# --- the loop -----------------------------------------------------------------------------------

def fit(s: "Session") -> str:
    """Run Algorithm 1 from s.step to train.steps; returns why it stopped."""
    G, D, opt_G, opt_D = s.G, s.D, s.opt_G, s.opt_D
    m, k = s.config.train.batch_size, s.config.train.k
    generator_loss = GENERATOR_LOSSES[s.config.train.loss]
    for step in range(s.step, s.config.train.steps):
        if (reason := s.should_stop()):
            return reason
        s.schedule(step)
        # k steps of the discriminator: ascend (1/m) Σ [log D(x) + log(1 - D(G(z)))] ...
        for _ in range(k):
            x, z = s.real_batch(m), s.noise(m)
            with torch.no_grad(), s.precision():
                fake = G(z)
            with s.precision():
                real_logits, fake_logits = D(x), D(fake)
                loss_d = discriminator_loss(real_logits, fake_logits)
            opt_D.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_D.step()
        # ... then one step of the generator on fresh noise, D held fixed.
        z = s.noise(m)
        with s.frozen(D), s.precision():
            loss_g = generator_loss(D(G(z)))
        opt_G.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_G.step()
        s.after_step(step + 1, loss_d, loss_g, real_logits, fake_logits)
    return "done"


# --- what the loop draws from -------------------------------------------------------------------

class Batches:
    """Real minibatches without replacement: epoch e is a permutation drawn from (seed, e), and
    the position is one running example count, so a checkpoint stores it as a single integer."""

    def __init__(self, examples: torch.Tensor, seed: int, position: int = 0):
        self.examples, self.seed, self.position = examples, seed, position
        self._epoch, self._perm = -1, None

    def _permutation(self, epoch: int) -> torch.Tensor:
        if epoch != self._epoch:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(len(self.examples), generator=gen).to(self.examples.device)
        return self._perm

    def indices(self, m: int) -> torch.Tensor:
        n, parts = len(self.examples), []
        while m > 0:
            epoch, offset = divmod(self.position, n)
            take = min(m, n - offset)
            parts.append(self._permutation(epoch)[offset:offset + take])
            self.position += take
            m -= take
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def next(self, m: int) -> torch.Tensor:
        return self.examples[self.indices(m)]

    @property
    def epoch(self) -> float:
        return self.position / len(self.examples)


class Noise:
    """z ~ p_z from its own generator on the CPU: the same z on every device, and a state to save."""

    def __init__(self, prior: str, z_dim: int, seed: int, device: torch.device):
        self.prior, self.z_dim, self.device = prior, z_dim, device
        self.gen = torch.Generator().manual_seed(seed * 1_000_003 + 999_983)

    def __call__(self, m: int) -> torch.Tensor:
        return nets.sample_noise(self.prior, m, self.z_dim, self.gen).to(self.device, non_blocking=True)


# --- the session around the loop ----------------------------------------------------------------

@dataclass
class TrainResult:
    run: Path
    step: int
    stopped: str  # done | time_limit | interrupted
    G: torch.nn.Module
    D: torch.nn.Module


class Session:
    """Everything Algorithm 1 runs inside: data, nets, optimizers, RNG, and the run directory."""

    def __init__(self, config: Config, run: Path, state: dict | None = None, quiet: bool = False):
        self.config, self.run = config, run
        self.device = resolve_device(config.device)
        if config.threads:
            torch.set_num_threads(config.threads)
        self.dataset = data.load(config.data)
        if len(self.dataset.train) < 1:
            raise GankitError(f"data set {config.data.name} has no training examples")
        cfg = config.model
        torch.manual_seed(config.seed)  # the nets' initial weights, then dropout, come from here
        pixel_mean = self.dataset.train.mean(0) if self.dataset.kind == "image" else None
        self.G = nets.build_generator(cfg, self.dataset.shape, self.dataset.kind, pixel_mean).to(self.device)
        self.D = nets.build_discriminator(cfg, self.dataset.shape, self.dataset.kind).to(self.device)
        self.opt_G = optim.build(config.optim, self.G.parameters(), config.optim.lr_g)
        self.opt_D = optim.build(config.optim, self.D.parameters(), config.optim.lr_d)
        if getattr(self.D, "max_norm", 0):  # a weight constraint belongs to the update, not the loop
            self.opt_D.register_step_post_hook(lambda *_: nets.apply_max_norm(self.D, self.D.max_norm))
        self.batches = Batches(self.dataset.train.to(self.device), config.seed)
        self.noise = Noise(cfg.prior, cfg.z_dim, config.seed, self.device)
        self.step, self.elapsed, self.extra = 0, 0.0, {}
        if state is not None:
            self._restore(state)
        self.fixed_z = nets.sample_noise(cfg.prior, 64 if self.dataset.kind == "image" else 2000, cfg.z_dim,
                                         torch.Generator().manual_seed(config.seed + 7)).to(self.device)
        self.log = RunLog(run, config.train.steps, self.step, quiet=quiet)
        self.hooks: list = []  # callables(session, step) run after every step (evaluation, …)
        self.row_extras: dict = {}  # what hooks measured, added to this step's log row
        self._sums = torch.zeros(4, dtype=torch.float64, device=self.device)
        self._nonfinite = torch.zeros((), dtype=torch.bool, device=self.device)
        self._count, self._t_log, self._examples_log = 0, time.monotonic(), self.batches.position
        self._t_start, self._stop_signal = time.monotonic(), None
        self._last_saved = self.step

    # -- pieces the loop calls --
    def precision(self):
        return autocast(self.config.precision, self.device)

    @contextlib.contextmanager
    def frozen(self, module: torch.nn.Module):
        """Hold a net's weights fixed: no weight gradients are computed for it."""
        params = [p for p in module.parameters() if p.requires_grad]
        for p in params:
            p.requires_grad_(False)
        try:
            yield
        finally:
            for p in params:
                p.requires_grad_(True)

    def real_batch(self, m: int) -> torch.Tensor:
        return self.batches.next(m)

    def schedule(self, step: int) -> None:
        o = self.config.optim
        self.lr_d = optim.apply_schedule(self.opt_D, o, o.lr_d, step, self.batches.epoch)
        self.lr_g = optim.apply_schedule(self.opt_G, o, o.lr_g, step, self.batches.epoch)

    def should_stop(self) -> str | None:
        if self._stop_signal:
            return "interrupted"
        limit = self.config.train.time_limit
        if limit and time.monotonic() - self._t_start >= limit:
            return "time_limit"
        return None

    def after_step(self, step, loss_d, loss_g, real_logits, fake_logits) -> None:
        self.step = step
        with torch.no_grad():
            stats = torch.stack([loss_d.detach().double(), loss_g.detach().double(),
                                 torch.sigmoid(real_logits.detach().float()).mean().double(),
                                 torch.sigmoid(fake_logits.detach().float()).mean().double()])
            self._sums += stats
            self._nonfinite |= ~torch.isfinite(stats[:2]).all()
        self._count += 1
        t = self.config.train
        for hook in self.hooks:
            hook(self, step)
        if step % t.log_every == 0 or step == t.steps or self.row_extras:
            self._log_row(step)
        if t.sample_every and step % t.sample_every == 0:
            self.write_samples()
        if step % t.checkpoint_every == 0 or (t.keep_every and step % t.keep_every == 0):
            self.save_checkpoint()

    # -- around the loop --
    def _check_finite(self) -> None:
        if bool(self._nonfinite):
            kept = (f"the last good checkpoint (step {self._last_saved}) is kept in {self.run / 'checkpoints'}"
                    if (self.run / "checkpoints" / "latest.pt").exists() else "no checkpoint had been written yet")
            raise GankitError(
                f"training diverged: a loss became NaN or inf before step {self.step}; {kept} "
                "(lower optim.lr_g / optim.lr_d, or try train.loss=nonsaturating)")

    def _log_row(self, step: int) -> None:
        self._check_finite()
        now = time.monotonic()
        sums = (self._sums / max(self._count, 1)).tolist()
        seen = self.batches.position - self._examples_log
        self.log.row({
            "step": step, "time": round(self.elapsed + now - self._t_start, 3),
            "loss_d": sums[0], "loss_g": sums[1], "d_real": sums[2], "d_fake": sums[3],
            "lr_d": self.lr_d, "lr_g": self.lr_g, "epoch": round(self.batches.epoch, 4),
            "images_per_s": round(seen / max(now - self._t_log, 1e-9), 1), **self.row_extras,
        })
        self.row_extras = {}
        self._sums.zero_()
        self._count, self._t_log, self._examples_log = 0, now, self.batches.position

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) in eval mode (batch norm uses running statistics), in the data's own units."""
        was = self.G.training
        self.G.eval()
        with torch.no_grad():
            x = self.G(z).float()
        self.G.train(was)
        return self.dataset.to_data_units(x.cpu())

    def write_samples(self) -> Path:
        path = self.run / "samples" / f"step-{self.step:07d}.png"
        plots.save_samples(self.generate(self.fixed_z), self.dataset, path, title=f"step {self.step}")
        return path

    def state(self) -> dict:
        rng = {"torch": torch.get_rng_state(), "noise": self.noise.gen.get_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return {
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
            "step": self.step, "rng": rng, "config": self.config.to_toml(),
            "format_version": checkpoint.FORMAT_VERSION, "data": self.dataset.info(),
            "examples_seen": self.batches.position,
            "elapsed": self.elapsed + time.monotonic() - self._t_start, "extra": dict(self.extra),
        }

    def save_checkpoint(self, name: str = "latest") -> None:
        self._check_finite()  # never overwrite a good checkpoint with a diverged one
        state = self.state()
        folder = self.run / "checkpoints"
        if name == "latest":
            checkpoint.save(state, folder / "latest.pt")
            keep = self.config.train.keep_every
            if keep and self.step % keep == 0:
                checkpoint.save(state, folder / f"step-{self.step:07d}.pt")
            self._last_saved = self.step
        else:
            checkpoint.save(state, folder / f"{name}.pt")

    def _restore(self, state: dict) -> None:
        try:
            self.G.load_state_dict(state["G"])
            self.D.load_state_dict(state["D"])
            self.opt_G.load_state_dict(state["opt_G"])
            self.opt_D.load_state_dict(state["opt_D"])
        except (RuntimeError, ValueError, KeyError) as e:
            raise GankitError(f"the checkpoint does not fit this config's nets ({str(e).splitlines()[0][:160]})") from None
        torch.set_rng_state(state["rng"]["torch"])
        self.noise.gen.set_state(state["rng"]["noise"])
        if "cuda" in state["rng"] and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        self.batches.position = int(state["examples_seen"])
        self.step = int(state["step"])
        self.elapsed = float(state.get("elapsed", 0.0))
        self.extra = dict(state.get("extra", {}))

    @contextlib.contextmanager
    def stop_on_signals(self):
        """SIGINT/SIGTERM ask the loop to stop at the next step boundary, where the state is whole;
        a second SIGINT interrupts at once."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def ask(signum, frame):
            if self._stop_signal and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self._stop_signal = signum

        old = {s: signal.signal(s, ask) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)


# --- the entry points ---------------------------------------------------------------------------

def _check_new_run_dir(out: str | Path) -> Path:
    run = Path(out)
    if (run / "checkpoints" / "latest.pt").exists() or (run / "log.jsonl").exists():
        raise GankitError(f"{run} already holds a run (continue it with --resume {run}, or choose another --out)")
    return run


def _make_run_dir(run: Path) -> None:
    try:
        (run / "checkpoints").mkdir(parents=True, exist_ok=True)
        (run / "samples").mkdir(exist_ok=True)
        probe = run / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise GankitError(f"cannot write the run directory {run}: {e.strerror or e} (choose a writable --out)") from None


def train(config: Config, out: str | Path | None = None, *, resume: str | Path | None = None,
          overrides: list[str] | tuple[str, ...] = (), quiet: bool = False) -> TrainResult:
    """Train a GAN with Algorithm 1.

    New run: `train(config, out)` writes RUN/config.toml, log.jsonl, checkpoints, samples.
    Resume: `train(None, resume=RUN)` continues RUN exactly where its latest checkpoint stopped;
    `overrides` (KEY=VALUE) may change e.g. train.steps or train.time_limit.
    """
    from . import config as config_mod

    if resume is not None:
        run = Path(resume)
        if not run.is_dir():
            raise GankitError(f"cannot resume {run}: no such run directory (give the --out folder of an earlier `gankit train`)")
        state = checkpoint.load(checkpoint.resolve(run, "latest"))
        raw = config_mod.parse_toml(state["config"], f"the config in {run}/checkpoints/latest.pt")
        for item in overrides:
            config_mod.apply_override(raw, item)
        config = config_mod.from_dict(raw)
    else:
        if config is None or out is None:
            raise GankitError("train needs a config and an output folder (or resume=RUN)")
        config = _with_absolute_paths(config.validate())
        run, state = _check_new_run_dir(out), None
    # Everything that can fail on bad input (data, nets, checkpoint) fails before a file is written.
    session = Session(config, run, state, quiet=quiet)
    _make_run_dir(run)
    (run / "config.toml").write_text(config.to_toml())
    _attach_hooks(session)
    s = session
    s.log.message(f"gankit: training {config.data.name} ({len(s.dataset.train)} examples, {s.dataset.source}) "
                  f"on {s.device}, step {s.step} -> {config.train.steps}, run {run}")
    try:
        with s.stop_on_signals():
            stopped = fit(s)
        if s.step > s._last_saved or not (run / "checkpoints" / "latest.pt").exists():
            s.save_checkpoint()
        s.write_samples()
    finally:
        s.log.close()
    if stopped != "done":
        s.log.message(f"gankit: stopped at step {s.step} ({stopped.replace('_', ' ')}); "
                      f"continue with: gankit train --resume {run}")
    return TrainResult(run, s.step, stopped, s.G, s.D)


def _with_absolute_paths(config: Config) -> Config:
    """Record data paths absolute in RUN/config.toml, so resume, sample and evaluate find the data
    from any working directory."""
    import dataclasses

    d = config.data
    name = d.name
    for prefix in ("csv:", "folder:"):
        if name.startswith(prefix):
            path, sep, cols = name[len(prefix):].partition("#")
            if path and not Path(path).expanduser().is_absolute():
                name = f"{prefix}{Path(path).expanduser().resolve()}{sep}{cols}"
    directory = str(Path(d.dir).expanduser().resolve()) if d.dir else d.dir
    return dataclasses.replace(config, data=dataclasses.replace(d, name=name, dir=directory))


def _attach_hooks(session: Session) -> None:
    """Optional per-step work set up by other modules (in-training evaluation, …)."""
    if session.config.train.eval_every:
        from .metrics.tracking import attach

        attach(session)
