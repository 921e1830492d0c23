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

def read_only(monkeypatch, folder):
    """Make `folder` read-only for this test: chmod where that binds (not root), else refuse every
    write under it the way the kernel would (PermissionError, errno 13) in open, os.open, rename,
    unlink and mkdir, and os.access(W_OK) False, which is what a read-only folder does to any writer."""
    import builtins
    import errno
    import os

    folder = Path(folder).resolve()
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        monkeypatch.undo_chmod = lambda: folder.chmod(mode)
        import atexit

        atexit.register(lambda: folder.exists() and folder.chmod(mode))
        return

    def inside(path) -> bool:
        try:
            p = Path(os.fsdecode(path)).resolve()
        except (TypeError, ValueError):
            return False
        return p == folder or folder in p.parents

    def denied(path):
        return PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))

    real_open, real_os_open, real_access = builtins.open, os.open, os.access
    real_replace, real_unlink, real_mkdir = os.replace, os.unlink, os.mkdir

    def fake_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and any(m in mode for m in "wax+") and inside(file):
            raise denied(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and inside(path):
            raise denied(path)
        return real_os_open(path, flags, *args, **kwargs)

    def guard(real):
        def fake(path, *args, **kwargs):
            if inside(path) or (args and isinstance(args[0], (str, bytes, os.PathLike)) and inside(args[0])):
                raise denied(path)
            return real(path, *args, **kwargs)
        return fake

    def fake_access(path, mode, *args, **kwargs):  # what the kernel answers for a read-only folder
        if mode & os.W_OK and inside(path):
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "access", fake_access)
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(os, "replace", guard(real_replace))
    monkeypatch.setattr(os, "unlink", guard(real_unlink))
    monkeypatch.setattr(os, "mkdir", guard(real_mkdir))


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
