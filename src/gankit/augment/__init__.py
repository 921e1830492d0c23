"""Augmentation for small data sets, applied inside the loss to everything D sees.

- `diffaugment.py`: DiffAugment's translation, colour and cutout (Zhao et al. 2020);
- `ada.py`: ADA's transforms and the rule that adapts their probability p (Karras et al. 2020);
- `pipeline.py`: `Augment` (what `train.augment` names, with p and its statistics), `Mirror`
  (`data.mirror`), `build` from a run's config, and the registry of transform names;
- `stream.py`: `Draws`, the random stream: global-batch draws sliced per process, a state a
  checkpoint keeps.

The loss (`gankit.losses.base.GANLoss`) calls the `Augment` a training session gives it on every
batch before D scores it, so every loss and R1/R2 see augmented real and generated images alike,
and G's gradient flows through the (differentiable) transforms.

Why not kornia.augmentation: its transforms draw their parameters from torch's global generator
(`generate_parameters`), one batch at a time on the process that runs them, and it has neither
ADA's adaptive p nor DiffAugment's exact translation and cutout. Here every draw comes from
`Draws`, a generator of the augmentation's own that is drawn for the global batch and sliced per
process and that a checkpoint restores, so a resumed or multi-process run augments bit for bit
as an uninterrupted single process does; the transforms are a few batched tensor operations each
(one `affine_grid`/`grid_sample` for ADA's geometry, one 4×4 colour matrix for its colour). The
two were not timed against each other here.
"""

from __future__ import annotations

from . import ada, diffaugment
from .pipeline import AUGMENTATIONS, Augment, Mirror, build, parse
from .stream import Draws

__all__ = ["AUGMENTATIONS", "Augment", "Mirror", "Draws", "build", "parse", "ada", "diffaugment"]
