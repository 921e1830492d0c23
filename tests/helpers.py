"""What tests in every folder share: where the repository and its configs are, which real data
this machine has. (Fixtures live in conftest.py; `pythonpath = tests` makes this importable.)"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
TESTS = ROOT / "tests"


def fashion_mnist_available() -> bool:
    return Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file()
