"""What tests in every folder share: where the repository and its configs are, which real data
this machine has. (Fixtures live in conftest.py; `pythonpath = tests` makes this importable.)"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
TESTS = ROOT / "tests"


def fashion_mnist_available() -> bool:
    return Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file()


def write_image_folder(root, side: int, n: int = 12, channels: int = 3):
    """A folder of small PNGs in two class sub-folders: red discs and blue squares at varying places."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(n):
        cls = ("discs", "squares")[i % 2]
        (root / cls).mkdir(parents=True, exist_ok=True)
        yy, xx = np.mgrid[:side, :side]
        cy, cx = rng.integers(side // 4, 3 * side // 4, 2).tolist()
        r = side // 5
        inside = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r) if cls == "discs" else ((abs(yy - cy) < r) & (abs(xx - cx) < r))
        img = np.full((side, side, 3), 255, np.uint8)
        img[inside] = (200, 30, 30) if cls == "discs" else (30, 30, 200)
        Image.fromarray(img if channels == 3 else img[..., 0]).save(root / cls / f"{i}.png")
    return root
