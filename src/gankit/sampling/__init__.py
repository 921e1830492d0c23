"""From a trained generator to samples in the data's own units, and the files they go to.

- `generator.py`: `load_generator(RUN)` -> a `Generator` module, `generate` (the one way to draw
  from any G), `sample`;
- `classes.py`: which classes a conditional run has and which to ask for (balanced, grids);
- `files.py`: what `gankit sample --out` writes (.npy streamed to disk, .csv, .png grids);
- `pictures.py`: pictures of samples (image and class grids, scatter plots, histograms);
- `export.py`: the generator alone, as ONNX (`gankit export`).
"""

from __future__ import annotations

from .generator import BATCH, Generator, generate, generator_from_state, load_generator, sample

__all__ = ["BATCH", "Generator", "generate", "generator_from_state", "load_generator", "sample"]
