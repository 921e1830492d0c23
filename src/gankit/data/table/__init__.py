"""Tables as people have them: `csv:PATH` with numeric, integer, categorical and boolean columns,
blanks allowed.

- `read.py`: the CSV through pandas, its dialect, header and encoding settled first;
- `columns.py`: each column's type (inferred, or `data.columns`) and its reversible encoder;
- `codec.py`: `TableCodec`, the column transformer: frames <-> codes <-> G's encoding, saved in
  every checkpoint;
- `sampler.py`: training-by-sampling, the conditional vector and the real rows that match it;
- `source.py`: the `csv:` data source (load, probe, and restore from a checkpoint).
"""

from __future__ import annotations

from . import source  # noqa: F401  (registers csv:)
from .codec import TableCodec
from .columns import OVERRIDES, TYPES
from .sampler import ConditionSampler, one_hots
from .source import TableData, split

__all__ = ["TableCodec", "TableData", "ConditionSampler", "one_hots", "split", "TYPES", "OVERRIDES"]
