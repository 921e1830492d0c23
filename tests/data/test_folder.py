"""folder:PATH: images of mixed formats, corrupt files, channels, the decode cache and the split."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.config import DataConfig
from gankit.data import folder, load, probe
from gankit.errors import GankitError

RED, BLUE, GREY = (255, 0, 0), (0, 0, 255), (90, 90, 90)


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "folders"


def solid(path, colour, size=(10, 10), mode="RGB", **save):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path, **save)


def mixed_folder(root):
    """Five readable images in four formats and two folders, plus two files Pillow cannot read."""
    solid(root / "a.png", RED)
    solid(root / "b.jpg", BLUE, quality=100)
    solid(root / "sub" / "c.webp", RED, lossless=True)
    solid(root / "sub" / "deeper" / "d.bmp", BLUE)
    wide = np.zeros((10, 30, 3), np.uint8)  # red sides, blue centre: a center crop keeps only blue
    wide[:] = RED
    wide[:, 10:20] = BLUE
    Image.fromarray(wide).save(root / "sub" / "wide.png")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    (root / "notes.txt").write_text("not an image\n")


def colours(x):
    """Each image's single colour as a 0..255 tuple (the test images are solid)."""
    flat = (x * 255).round().reshape(len(x), x.shape[1], -1)
    assert (flat.amax(2) - flat.amin(2)).max() <= 2, "images are not solid colour"
    return sorted(tuple(int(v) for v in img[:, 0]) for img in flat)


def test_mixed_folder_loads_crops_and_counts_unreadable_once(tmp_path, capsys):
    mixed_folder(tmp_path / "imgs")
    ds = load(DataConfig(name=f"folder:{tmp_path / 'imgs'}", size=10))
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"gankit: warning: folder {tmp_path / 'imgs'}: skipped 2 files Pillow cannot read as images"]
    assert ds.kind == "image" and ds.train.shape == (5, 3, 10, 10)
    assert ds.val is None and ds.test is None  # under 10 images: all training
    # wide.png is blue after the crop; the JPEG may be a level off.
    want = sorted([RED, RED, BLUE, BLUE, BLUE])
    assert np.abs(np.array(colours(ds.train)) - np.array(want)).max() <= 2


def test_channels_auto_forced_gray_and_alpha(tmp_path):
    solid(tmp_path / "g" / "a.png", 40, mode="L")
    solid(tmp_path / "g" / "b.png", GREY)  # RGB file with no colour: still grayscale
    ds = load(DataConfig(name=f"folder:{tmp_path / 'g'}", size=10))
    assert ds.train.shape == (2, 1, 10, 10)
    assert colours(ds.train) == [(40,), (90,)]
    solid(tmp_path / "c" / "a.png", RED)
    solid(tmp_path / "c" / "b.png", 40, mode="L")
    solid(tmp_path / "c" / "clear.png", (0, 255, 0, 0), mode="RGBA")  # fully transparent: white
    ds = load(DataConfig(name=f"folder:{tmp_path / 'c'}", size=10))
    assert colours(ds.train) == [(40, 40, 40), (255, 0, 0), (255, 255, 255)]
    ds = load(DataConfig(name=f"folder:{tmp_path / 'c'}", size=10, channels=1))
    # ITU-R 601-2 luma, Pillow's L conversion: L = 0.299 R + 0.587 G + 0.114 B.
    assert colours(ds.train) == [(40,), (76,), (255,)]


def test_resizes_any_size(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (37, 23, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / "x.png")
    ds = load(DataConfig(name=f"folder:{tmp_path}", size=16))
    assert ds.train.shape == (1, 3, 16, 16)
    # Unlike nearest sampling, an antialiased shrink averages: the mean brightness survives.
    assert float(ds.train.mean()) == pytest.approx(img[7:30].mean() / 255, abs=0.02)


def test_decoded_once_then_cached_until_files_change(tmp_path, cache_home, monkeypatch):
    root = tmp_path / "imgs"
    mixed_folder(root)
    cfg = DataConfig(name=f"folder:{root}", size=10)
    first = load(cfg)
    (cached,) = cache_home.glob("*.pt")
    assert set(torch.load(cached, weights_only=True)) == {"images", "skipped", "format", "folders"}

    def no_decoding(*a, **k):
        raise AssertionError("decoded again although the files did not change")

    monkeypatch.setattr(folder, "decode", no_decoding)
    again = load(cfg)
    assert torch.equal(first.train, again.train)
    monkeypatch.undo()
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    solid(root / "new.png", BLUE)  # a changed folder gets a new key and is decoded afresh
    assert len(load(cfg).train) == 6
    load(DataConfig(name=f"folder:{root}", size=12))  # so does a changed size
    assert len(list(cache_home.glob("*.pt"))) == 3


def test_cache_dir_key_and_damaged_cache(tmp_path):
    mixed_folder(tmp_path / "imgs")
    cfg = DataConfig(name=f"folder:{tmp_path / 'imgs'}", size=10, cache_dir=str(tmp_path / "mine"))
    load(cfg)
    (cached,) = (tmp_path / "mine").glob("*.pt")
    cached.write_bytes(b"garbage")  # a damaged cache is decoded again, not an error
    assert len(load(cfg).train) == 5
    assert torch.load(cached, weights_only=True)["images"].shape == (5, 3, 10, 10)


def test_split_is_fixed_and_disjoint(tmp_path):
    for i in range(40):
        solid(tmp_path / f"{i:02d}.png", (i, i, i))
    cfg = DataConfig(name=f"folder:{tmp_path}", size=4)
    ds = load(cfg)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (36, 2, 2)
    values = [int(round(float(x[0, 0, 0]) * 255)) for x in torch.cat([ds.train, ds.val, ds.test])]
    assert sorted(values) == list(range(40))
    assert torch.equal(load(cfg).val, ds.val)


@pytest.mark.parametrize("case", ["empty", "all-corrupt", "missing"])
def test_no_readable_image_is_an_error(tmp_path, case):
    root = tmp_path / "imgs"
    if case != "missing":
        root.mkdir()
    if case == "all-corrupt":
        (root / "a.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 50)
        (root / "b.png").write_text("hello")
    with pytest.raises(GankitError, match="does not exist" if case == "missing" else "holds no image Pillow can read"):
        load(DataConfig(name=f"folder:{root}"))


def test_probe(tmp_path):
    assert not probe(DataConfig(name=f"folder:{tmp_path / 'nope'}")).available
    assert not probe(DataConfig(name=f"folder:{tmp_path}")).available
    mixed_folder(tmp_path)
    p = probe(DataConfig(name=f"folder:{tmp_path}"))
    assert p.available and p.detail.startswith("6 image files")  # by extension: broken.png counts


def test_unwritable_cache_still_loads_with_one_warning(tmp_path, capsys):
    solid(tmp_path / "imgs" / "a.png", RED)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    ds = load(DataConfig(name=f"folder:{tmp_path / 'imgs'}", size=10, cache_dir=str(blocker / "cache")))
    assert len(ds.train) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: warning: cannot cache decoded images")


def test_sixteen_bit_gray_is_scaled_by_its_range(tmp_path):
    # 16-bit PNGs hold 0..65535; Pillow's own L conversion would clip 30000 to 255.
    Image.fromarray(np.full((10, 10), 30000, np.uint16)).save(tmp_path / "deep.png")
    ds = load(DataConfig(name=f"folder:{tmp_path}", size=10))
    assert ds.train.shape == (1, 1, 10, 10)
    assert colours(ds.train) == [(round(30000 / 65535 * 255),)]


def test_sub_folders_are_classes_sorted_by_name(tmp_path):
    root = tmp_path / "classes"
    colours = {"red": RED, "blue": BLUE, "grey": GREY}
    for name, colour in colours.items():
        for i in range(4):
            solid(root / name / f"{i}.png", colour)
    solid(root / "red" / "deeper" / "4.png", RED)  # any depth below a class folder is that class
    cfg = DataConfig(name=f"folder:{root}", size=6)
    ds = load(cfg)
    assert ds.num_classes == 3 and ds.class_names == ["blue", "grey", "red"]
    for split, labels in ((ds.train, ds.train_labels), (ds.val, ds.val_labels), (ds.test, ds.test_labels)):
        assert len(split) == len(labels)
        for x, y in zip(split, labels):
            want = colours[ds.class_names[y]]
            assert tuple(int(v) for v in (x[:, 0, 0] * 255).round()) == want
    assert len(ds.train) + len(ds.val) + len(ds.test) == 13
    again = load(cfg)  # from the cache: the same labels
    assert torch.equal(again.train_labels, ds.train_labels) and again.class_names == ds.class_names
    assert "3 classes (sub-folders)" in probe(cfg).detail
    info = ds.info()
    assert info["num_classes"] == 3 and info["class_names"] == '["blue", "grey", "red"]'


@pytest.mark.parametrize("layout", ["flat", "mixed", "one-sub-folder"])
def test_flat_mixed_or_single_folder_is_unlabelled(tmp_path, layout):
    root = tmp_path / layout
    if layout in ("flat", "mixed"):
        solid(root / "a.png", RED)
        solid(root / "b.png", BLUE)
    if layout in ("mixed", "one-sub-folder"):
        solid(root / "cats" / "c.png", GREY)
        solid(root / "cats" / "d.png", RED)
    ds = load(DataConfig(name=f"folder:{root}", size=6))
    assert ds.train_labels is None and ds.num_classes == 0 and ds.info()["class_names"] == "[]"


def test_conditional_training_on_an_unlabelled_folder_is_refused(tmp_path):
    from gankit import config
    from gankit.train import train

    solid(tmp_path / "flat" / "a.png", RED)
    solid(tmp_path / "flat" / "b.png", BLUE)
    cfg = config.load(None, [f"data.name=folder:{tmp_path / 'flat'}", "data.size=8", "model.conditional=true"])
    with pytest.raises(GankitError, match="model.conditional = true needs class labels.*one sub-folder per class"):
        train(cfg, tmp_path / "run", quiet=True)


def test_datasets_says_how_many_classes_a_class_folder_has(tmp_path, capsys):
    """Issue 25: docs/data.md says `gankit datasets` reports a class folder's classes; it printed
    only the generic `folder:PATH` line."""
    from gankit.cli import main

    for cls in ("cat", "dog", "owl"):
        (tmp_path / "photos" / cls).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (8, 8), (60 * i, 0, 0)).save(tmp_path / "photos" / cls / f"{i}.png")
    assert main(["datasets", f"folder:{tmp_path / 'photos'}"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line.startswith(f"ok  folder:{tmp_path / 'photos'}") and "9 image files, 3 classes (sub-folders)" in line
    assert main(["datasets", "--set", f"data.name=folder:{tmp_path / 'photos'}"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert any("3 classes (sub-folders)" in r for r in rows) and any(r.split()[1] == "ring8" for r in rows)
    assert main(["datasets", "imagenet"]) == 2 and "unknown data set 'imagenet'" in capsys.readouterr().err
