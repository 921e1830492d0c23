"""gankit: Generative Adversarial Nets (Goodfellow et al., 2014) — train, sample, evaluate.

    G = gankit.load_generator("runs/ring8")   # a torch module: z, or a count, -> data-unit samples
    x = G(1000, seed=0)
"""

from .errors import GankitError

__version__ = "0.1.0"
__all__ = ["GankitError", "__version__", "load_generator"]


def __getattr__(name: str):
    # Imported on first use, so `gankit --help` and `import gankit` stay quick (no torch).
    if name == "load_generator":
        from .sampling import load_generator

        return load_generator
    raise AttributeError(f"module 'gankit' has no attribute {name!r}")
