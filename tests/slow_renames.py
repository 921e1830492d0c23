"""`python tests/slow_renames.py ARGS...` is `gankit ARGS...` with every rename of a finished
checkpoint or sample picture into place delayed by SLOW_RENAME seconds (default 0.3), so a test
can kill the process while a write is in flight: the temporary file is written, not yet renamed."""

import os
import sys
import time

_replace = os.replace


def _slow_replace(src, dst, *args, **kwargs):
    if str(dst).endswith((".pt", ".png")):
        time.sleep(float(os.environ.get("SLOW_RENAME", "0.3")))
    return _replace(src, dst, *args, **kwargs)


os.replace = _slow_replace

if __name__ == "__main__":
    from gankit.cli import main

    sys.exit(main(sys.argv[1:]))
