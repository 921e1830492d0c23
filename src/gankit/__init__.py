"""gankit: Generative Adversarial Nets (Goodfellow et al., 2014) — train, sample, evaluate.

    G = gankit.load_generator("runs/ring8")   # a torch module: z, or a count, -> data-unit samples
    x = G(1000, seed=0)

The package, by layer (docs/architecture.md draws it): `errors`, `registry`, `config`,
`checkpoint`, `device`, `console`, `cache` at the bottom; `distributed/` and `data/`; `nets/`;
`losses/` and `sampling/`; `metrics/`; `train/` (Algorithm 1 and what it runs inside); `paper/`;
`report/`; `bench/`; and on top the `gankit` command (`cli`) and `make demo` (`demo`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

from .errors import GankitError, deprecated

__version__ = "0.2.0"
__all__ = ["GankitError", "__version__", "load_generator"]


def __getattr__(name: str):
    # Imported on first use, so `gankit --help` and `import gankit` stay quick (no torch).
    if name == "load_generator":
        from .sampling.generator import load_generator

        return load_generator
    raise AttributeError(f"module 'gankit' has no attribute {name!r}")


# --- import paths of gankit 0.1, kept for one release -------------------------------------------
# gankit 0.2 moved its flat modules into subpackages. An old path still imports, with a
# DeprecationWarning that names the new one, and gives the new module itself (the same objects,
# so isinstance checks and monkeypatching agree). gankit.plots was split in two; its names are
# looked up in both halves.

MOVED: dict[str, tuple[str, ...]] = {
    "gankit.bench_modes": ("gankit.bench.modes",),
    "gankit.conditional": ("gankit.sampling.classes",),
    "gankit.docs_figures": ("gankit.paper.docs_figures",),
    "gankit.ema": ("gankit.train.ema",),
    "gankit.evaluate": ("gankit.metrics.runs",),
    "gankit.export": ("gankit.sampling.export",),
    "gankit.figures": ("gankit.report.figures",),
    "gankit.launch": ("gankit.distributed.launch",),
    "gankit.meters": ("gankit.train.meters",),
    "gankit.metrics.tracking": ("gankit.train.tracking",),
    "gankit.optim": ("gankit.train.optim",),
    "gankit.paper_figures": ("gankit.paper.figures",),
    "gankit.plots": ("gankit.sampling.pictures", "gankit.report.curves"),
    "gankit.precision": ("gankit.train.precision",),
    "gankit.progress": ("gankit.console",),
    "gankit.recorder": ("gankit.train.recorder",),
    "gankit.resume": ("gankit.train.resume",),
    "gankit.roofline": ("gankit.bench.roofline",),
    "gankit.runlog": ("gankit.train.runlog",),
    "gankit.sample_files": ("gankit.sampling.files",),
    "gankit.stopping": ("gankit.train.stopping",),
    "gankit.streams": ("gankit.train.streams",),
    "gankit.theory": ("gankit.paper.theory",),
    "gankit.unrolled": ("gankit.losses.unrolled",),
}
"""Old module path -> where its contents live now (gankit.nets, .losses, .data, .metrics,
.train, .sampling, .distributed, .report, .paper and .bench kept their names as packages)."""


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old module paths (after every real module has been looked for) and loads each
    as the module it moved to."""

    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        targets = MOVED[module.__name__]
        deprecated(module.__name__, " and ".join(targets))
        if len(targets) == 1:
            # The import system hands out whatever sys.modules holds once the module has run.
            sys.modules[module.__name__] = importlib.import_module(targets[0])
            return
        halves = [importlib.import_module(t) for t in targets]

        def lookup(name: str):
            for half in halves:
                if hasattr(half, name):
                    return getattr(half, name)
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = lookup


if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
    sys.meta_path.append(_MovedModules())
