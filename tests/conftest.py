import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Feature nets and folder caches go to a per-session temporary cache, never the user's.
    cache = tmp_path_factory.getbasetemp() / "gankit-cache"
    monkeypatch.setenv("GANKIT_CACHE", str(cache))


def fashion_mnist_available() -> bool:
    return Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file()
