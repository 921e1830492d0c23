"""What D sees of an image: `Augment`, the transforms `train.augment` names, applied by the loss
to every batch D scores (real and generated, in D's objective and in G's), and ADA's p with the
statistics that move it; `Mirror`, the horizontal flips of `data.mirror`."""

from __future__ import annotations

import contextlib

import torch

from ..distributed.group import SINGLE, Rank
from ..errors import GankitError
from ..registry import Registry
from . import ada, diffaugment
from .stream import Draws

AUGMENTATIONS: Registry[str] = Registry("augmentation")
"""Names `train.augment` may list -> which family the transform belongs to ("diffaugment" | "ada")."""
for _name in diffaugment.OPERATIONS:
    AUGMENTATIONS.register(_name, "diffaugment")
for _name in ada.TRANSFORMS:
    AUGMENTATIONS.register(_name, "ada")
AUGMENTATIONS.register("ada", "ada")  # all of ADA's transforms (StyleGAN2-ADA's `bgc`)

AUGMENT_SEED, MIRROR_SEED = 444_443, 666_661  # offsets of the two streams from the run's seed


def parse(text: str) -> list[str]:
    """The transforms a `train.augment` string names, checked against the registry, in its order;
    `ada` expands to all twelve of ADA's."""
    names: list[str] = []
    for name in (n.strip() for n in text.split(",")):
        if not name:
            continue
        AUGMENTATIONS.get(name, "train.augment")
        for n in (ada.TRANSFORMS if name == "ada" else (name,)):
            if n not in names:
                names.append(n)
    return names


class Augment:
    """T(x) for every batch D scores. DiffAugment's transforms apply to every image; ADA's each
    with probability `p`, which `adjust` moves towards D's target sign on real images (`target`;
    0 keeps p fixed). Images are mapped from [0, 1] to [-1, 1], where both papers define their
    transforms, and back. The random parameters come from `draws`, a stream the checkpoint keeps;
    `p` and the statistics since the last adjustment are `state()`."""

    def __init__(self, names: list[str], draws: Draws, p: float = 0.0, target: float = 0.6, kimg: float = 500.0,
                 interval: int = 4, rank: Rank = SINGLE):
        self.names, self.draws, self.rank = parse(",".join(names)), draws, rank  # "ada" is all twelve
        self.diff = [diffaugment.OPERATIONS[n] for n in self.names if n in diffaugment.OPERATIONS]
        self.ada = {n for n in self.names if n in ada.TRANSFORMS}
        self.p, self.target, self.kimg, self.interval = float(p), float(target), float(kimg), int(interval)
        self.adaptive = bool(self.ada) and self.target > 0
        self.rt = float("nan")  # the last r_t the rule saw
        self._signs: torch.Tensor | None = None  # Σ sign D(x) over real images since the last update (on the device)
        self._count = 0  # how many (this process's)
        self._observing = True

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise GankitError("config key train.augment needs image data (N×C×H×W); set train.augment = \"\" for points")
        y = x * 2 - 1
        for op in self.diff:
            y = op(y, self.draws)
        if self.ada:
            y = ada.geometric(y, self.ada, self.p, self.draws)
            y = ada.colour(y, self.ada, self.p, self.draws)
        return (y + 1) / 2

    # -- ADA's rule --
    def observe(self, real_scores: torch.Tensor) -> None:
        """D's raw outputs on augmented real images, for the next adjustment of p."""
        if not self.adaptive or not self._observing:
            return
        s = real_scores.detach().float().sign().sum()
        self._signs = s if self._signs is None else self._signs + s
        self._count += real_scores.numel()

    @contextlib.contextmanager
    def unobserved(self):
        """Inside, D's outputs are not D's own steps (an unrolled copy of D): they do not move p."""
        self._observing = False
        try:
            yield
        finally:
            self._observing = True

    def adjust(self, step: int) -> None:
        """After G step `step`: every `interval` steps, move p by ADA's rule."""
        if not self.adaptive or step % self.interval or self._signs is None:
            return
        total = torch.stack([self._signs.to(torch.float64).cpu(), torch.tensor(float(self._count), dtype=torch.float64)])
        if self.rank.distributed:  # every process moves p by the global statistics
            total = self.rank.average(total.to(self._signs.device)).cpu() * self.rank.world_size
        signs, count = float(total[0]), int(round(float(total[1])))
        self.rt = signs / max(count, 1)
        self.p = ada.next_p(self.p, self.rt, self.target, count, self.kimg)
        self._signs, self._count = None, 0

    def log(self) -> dict:
        if not self.ada:
            return {}
        return {"augment_p": self.p, **({"ada_rt": self.rt} if self.adaptive and self.rt == self.rt else {})}

    def state(self) -> dict:
        """p and the statistics of the current interval, as numbers (the stream's state is the rng's)."""
        signs = 0.0 if self._signs is None else float(self._signs)
        rt = {"rt": self.rt} if self.rt == self.rt else {}  # none yet (NaN) is left out
        return {"p": self.p, **rt, "signs": signs, "count": self._count}

    def load_state(self, state: dict) -> None:
        self.p, self.rt = float(state["p"]), float(state.get("rt", float("nan")))
        self._count = int(state.get("count", 0))
        self._signs = torch.tensor(float(state["signs"]), dtype=torch.float32) if self._count else None


class Mirror:
    """`data.mirror`: each real image flipped left-right with probability 1/2, from a stream of its
    own (drawn for the global batch, kept in the checkpoint), as StyleGAN2-ADA's `--mirror` makes
    the data set twice as large."""

    def __init__(self, draws: Draws):
        self.draws = draws

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        flip = self.draws.uniform(len(x), like=torch.empty(0, device=x.device)) < 0.5  # float draws, whatever x's dtype
        return torch.where(flip[:, None, None, None], x.flip(3), x)


def build(train, data, seed: int, rank: Rank = SINGLE) -> tuple[Augment | None, Mirror | None]:
    """The augmentation and the mirror a run's `train` and `data` sections ask for (None when off)."""
    names = parse(train.augment)
    augment = None
    if names:
        augment = Augment(names, Draws(seed, AUGMENT_SEED, rank), train.augment_p, train.ada_target, train.ada_kimg,
                          train.ada_interval, rank)
    mirror = Mirror(Draws(seed, MIRROR_SEED, rank)) if data.mirror else None
    return augment, mirror
