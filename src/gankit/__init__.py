"""gankit: Generative Adversarial Nets (Goodfellow et al., 2014) — train, sample, evaluate."""

from .errors import GankitError

__version__ = "0.1.0"
__all__ = ["GankitError", "__version__"]
