"""What a person reads about a run.

- `page.py`: `gankit report RUN`, one self-contained HTML page (`write_report`, `render`);
- `figures.py`: `gankit figures RUN`, the pictures a run can show (`make_figures`);
- `curves.py`: training curves from RUN/log.jsonl.
"""

from __future__ import annotations

from .page import render, write_report

__all__ = ["render", "write_report"]
