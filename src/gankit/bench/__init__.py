"""What gankit measures about itself: `make bench` and `gankit bench modes`.

- `speed.py`: training speed against eager reference loops and against the machine, time to
  quality (`python -m gankit.bench`, `make bench`; writes BENCHMARKS.md);
- `modes.py`: mode collapse on ring8 and grid25, each remedy over several seeds (`gankit bench modes`);
- `roofline.py`: what a step must cost (model FLOPs and bytes) and the machine's measured peaks;
- `reference/`: the plain eager PyTorch loops the speed benchmark runs beside gankit;
- `child.py`: one measurement in a fresh process, the repository's root, the CPU's name (what the
  sections share without importing `speed`, which runs them);
- `images.py` ("Your own images"), `folder.py`, `emoji.py`, `tables.py`, `heights.py`: the sections on real data.
"""

from ..errors import moved_names

# gankit 0.1's `gankit.bench` was the speed benchmark's module; its names still resolve, for one release.
__getattr__ = moved_names(__name__, f"{__name__}.speed")
