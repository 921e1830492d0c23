"""What tests in every folder share: where the repository and its configs are, which real data
this machine has. (Fixtures live in conftest.py; `pythonpath = tests` makes this importable.)"""

from pathlib import Path

from gankit.cache import cache_root

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
TESTS = ROOT / "tests"


def fashion_mnist_available() -> bool:
    return Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file()


# The real cache, read before the tests point GANKIT_CACHE at a temporary one (conftest.py).
REAL_CACHE = cache_root()


def emoji_folder() -> Path | None:
    """The 3,786 Twemoji PNGs that `make setup` fetches (`gankit datasets --fetch emoji-twitter`:
    npm emoji-datasource-twitter, CC-BY 4.0), or None when they are not there."""
    folder = REAL_CACHE / "images" / "emoji-twitter"
    return folder if (folder / ".gankit-fetched.json").is_file() else None
