"""Goodfellow et al. (2014) reproduced.

- `table1.py`: Table 1 on the data we have (`gankit paper table`), by the Parzen-window protocol;
- `theory.py`: Section 4 checked numerically (`gankit theory`): D*, C(G) = -log 4 + 2 JSD;
- `figures.py`: Figures 1-3 and the saturation of the minimax loss, drawn from real runs;
- `docs_figures.py`: `make figures`, docs/figures/ regenerated from short real runs.
"""

from __future__ import annotations

from ..errors import moved_names

# gankit 0.1's `gankit.paper` was Table 1's module; its names still resolve, for one release.
__getattr__ = moved_names(__name__, f"{__name__}.table1")
