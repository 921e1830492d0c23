"""Adversarial losses: each a named pair of objectives (D's, G's), registered by name.

- `registry.py`: `train.loss` -> a factory of the run's `train` section (`register_loss`, `build`);
- `scores.py`: D's scores on a batch (one pass over real and fake where that is exact);
- `base.py`: `GANLoss`, the pair of objectives the loop calls, with optional R1/R2;
- `penalties.py`: R1, R2 and WGAN-GP's gradient penalty;
- one module per family: `paper.py` (minimax, nonsaturating), `wgan_gp.py`, `hinge.py`,
  `lsgan.py`, `rpgan.py` (with R1 + R2: R3GAN's loss);
- `unrolled.py`: G's objective against D unrolled K steps (Metz et al. 2017), around any loss.
"""

from __future__ import annotations

from . import hinge, lsgan, paper, rpgan, wgan_gp  # noqa: F401  (each registers its loss)
from .base import GANLoss, Uniform, default_uniform
from .hinge import Hinge
from .lsgan import LeastSquares
from .paper import GENERATOR_LOSSES, PaperLoss, discriminator_loss, generator_loss_minimax, generator_loss_nonsaturating
from .penalties import gradient_penalty, input_gradients, zero_centred_penalty
from .registry import LOSSES, LossFactory, build, check_name, get, names, register_loss
from .rpgan import RelativisticPairing
from .scores import Examples, Objective, scores, scores_pair
from .wgan_gp import WassersteinGP

__all__ = [
    "LOSSES", "LossFactory", "register_loss", "get", "build", "check_name", "names", "GANLoss", "Uniform",
    "default_uniform", "Examples", "Objective", "scores", "scores_pair", "PaperLoss", "WassersteinGP", "Hinge",
    "LeastSquares", "RelativisticPairing", "discriminator_loss", "generator_loss_minimax",
    "generator_loss_nonsaturating", "GENERATOR_LOSSES", "input_gradients", "zero_centred_penalty",
    "gradient_penalty",
]
