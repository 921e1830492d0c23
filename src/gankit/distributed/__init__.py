"""Several processes, one run: torchrun / DistributedDataParallel.

- `group.py`: which process this is (`Rank`), the slice of every global batch that is its own,
  how processes agree (`Rank.together`), DDP wrapping and global batch norm;
- `launch.py`: `gankit train --nproc P`, the torchrun command line for P processes.
"""

from __future__ import annotations

from .group import (
                    SINGLE,
                    TIMEOUT,
                    AgreedError,
                    GlobalBatchNorm,
                    Rank,
                    convert_batch_norm,
                    from_environment,
                    local,
                    process_group,
                    unwrap,
                    wrap,
)

__all__ = ["SINGLE", "TIMEOUT", "AgreedError", "GlobalBatchNorm", "Rank", "convert_batch_norm", "from_environment",
           "local", "process_group", "unwrap", "wrap"]
