import sys

from ..errors import GankitError
from .speed import main

try:
    sys.exit(main())
except GankitError as e:  # one line, as the CLI gives
    print(f"gankit: error: {e}", file=sys.stderr)
    sys.exit(2)
