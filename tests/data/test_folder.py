"""folder:PATH: images of mixed formats, corrupt files, channels, the decode cache and the split."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.config import DataConfig
from gankit.data import folder, load, pixels, probe
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
    flat = (pixels(x) * 255).round().reshape(len(x), x.shape[1], -1)
    assert (flat.amax(2) - flat.amin(2)).max() <= 2, "images are not solid colour"
    return sorted(tuple(int(v) for v in img[:, 0]) for img in flat)


def test_mixed_folder_loads_crops_and_counts_unreadable_once(tmp_path, capsys):
    mixed_folder(tmp_path / "imgs")
    ds = load(DataConfig(name=f"folder:{tmp_path / 'imgs'}", size=10))
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"gankit: warning: folder {tmp_path / 'imgs'}: skipped 2 files Pillow cannot read as images "
                   "(broken.png, notes.txt)"]
    assert ds.kind == "image" and ds.train.shape == (5, 3, 10, 10) and ds.train.dtype == torch.uint8
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
    assert float(pixels(ds.train).mean()) == pytest.approx(img[7:30].mean() / 255, abs=0.02)


def test_decoded_once_then_cached_until_files_change(tmp_path, cache_home, monkeypatch):
    root = tmp_path / "imgs"
    mixed_folder(root)
    cfg = DataConfig(name=f"folder:{root}", size=10)
    first = load(cfg)
    (header,) = cache_home.glob("*.json")
    h = json.loads(header.read_text())
    assert h["shape"] == [5, 3, 10, 10] and h["skipped"] == 2 and h["unreadable"] == ["broken.png", "notes.txt"]
    assert header.with_suffix(".u8").stat().st_size == 5 * 3 * 10 * 10  # raw pixels, nothing else
    assert first.fingerprint == header.stem

    def no_decoding(*a, **k):
        raise AssertionError("decoded again although the files did not change")

    monkeypatch.setattr(folder, "decode", no_decoding)
    again = load(cfg)
    assert torch.equal(first.train, again.train)
    monkeypatch.undo()
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    solid(root / "new.png", BLUE)  # a changed folder gets a new key and is decoded afresh
    changed = load(cfg)
    assert len(changed.train) == 6 and changed.fingerprint != first.fingerprint
    # ... and the stale copy of the same folder is removed, not left to fill the disk
    assert [p.stem for p in cache_home.glob("*.json")] == [changed.fingerprint]
    assert not header.with_suffix(".u8").exists()
    load(DataConfig(name=f"folder:{root}", size=12))  # another size is another cache, kept beside it
    assert len(list(cache_home.glob("*.json"))) == 2 and len(list(cache_home.glob("*.u8"))) == 2


def test_cache_dir_key_and_damaged_cache(tmp_path):
    mixed_folder(tmp_path / "imgs")
    cfg = DataConfig(name=f"folder:{tmp_path / 'imgs'}", size=10, cache_dir=str(tmp_path / "mine"))
    first = load(cfg).train.clone()  # a copy: the loaded set maps the very file damaged below
    (cached,) = (tmp_path / "mine").glob("*.u8")
    cached.write_bytes(b"garbage")  # a damaged cache is decoded again, not an error
    assert torch.equal(load(cfg).train, first)
    assert cached.stat().st_size == 5 * 3 * 10 * 10
    cached.with_suffix(".json").write_text("{not json")
    assert torch.equal(load(cfg).train, first)


def test_split_is_fixed_and_disjoint(tmp_path):
    for i in range(40):
        solid(tmp_path / f"{i:02d}.png", (i, i, i))
    cfg = DataConfig(name=f"folder:{tmp_path}", size=4)
    ds = load(cfg)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (36, 2, 2)
    values = [int(x[0, 0, 0]) for x in torch.cat([ds.train, ds.val, ds.test])]
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
            assert tuple(int(v) for v in x[:, 0, 0]) == want
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


def noisy_folder(root, n, side=12, seed=0):
    """n RGB PNGs of random pixels (each distinct), plus one unreadable file."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(root / f"{i:05d}.png")
    (root / "zz-broken.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 20)


def test_splits_are_uint8_views_of_a_mapped_file_in_the_old_split_order(tmp_path, cache_home):
    root = tmp_path / "noise"
    noisy_folder(root, 45)
    ds = load(DataConfig(name=f"folder:{root}", size=12))
    # Independently: every readable file in sorted order, decoded by Pillow alone, then the
    # fixed-seed permutation of gankit 0.1 (randperm(n), seed 0) and 5%/5% held out.
    files = sorted(root.glob("*.png"))
    want = torch.from_numpy(np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])).permute(0, 3, 1, 2)
    want = want[torch.randperm(len(files), generator=torch.Generator().manual_seed(0))]
    assert ds.train.dtype == torch.uint8
    assert torch.equal(torch.cat([ds.train, ds.val, ds.test]), want)
    assert (len(ds.val), len(ds.test)) == (2, 2)
    # The splits are slices of one memory-mapped file, not copies in memory.
    (pixels_file,) = cache_home.glob("*.u8")
    maps = open("/proc/self/maps").read() if os.path.exists("/proc/self/maps") else str(pixels_file)
    assert str(pixels_file) in maps
    assert ds.train.untyped_storage().data_ptr() == ds.test.untyped_storage().data_ptr()


def test_decoding_on_several_processes_gives_the_same_cache_and_a_progress_line(tmp_path, monkeypatch, capsys):
    root = tmp_path / "noise"
    noisy_folder(root, 70)
    serial = load(DataConfig(name=f"folder:{root}", size=8, cache_dir=str(tmp_path / "one")))
    capsys.readouterr()
    used = []
    monkeypatch.setattr(folder, "PARALLEL_FROM", 10)
    monkeypatch.setattr(folder, "CHUNK", 16)
    real_pool = folder.mp.get_context("fork").Pool
    monkeypatch.setattr(folder, "_workers", lambda n: 2)

    class Ctx:
        def Pool(self, k):
            used.append(k)
            return real_pool(k)

    monkeypatch.setattr(folder.mp, "get_context", lambda how: Ctx())
    parallel = load(DataConfig(name=f"folder:{root}", size=8, cache_dir=str(tmp_path / "two")))
    assert used == [2]
    assert torch.equal(parallel.train, serial.train) and torch.equal(parallel.test, serial.test)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"gankit: decoding {root} at 8x8 on 2 processes (71 files)"
    assert err[-1].endswith("skipped 1 file Pillow cannot read as images (zz-broken.jpg)")


def test_the_unreadable_line_names_three_and_counts_the_rest(tmp_path, capsys):
    root = tmp_path / "imgs"
    solid(root / "a.png", RED)
    for i in range(5):
        (root / f"bad{i}.png").write_bytes(b"nope")
    load(DataConfig(name=f"folder:{root}", size=4))
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith("skipped 5 files Pillow cannot read as images (bad0.png, bad1.png, bad2.png and 2 more)")


def test_pixel_mean_of_a_mapped_set_matches_the_float_mean(tmp_path):
    root = tmp_path / "noise"
    noisy_folder(root, 30)
    ds = load(DataConfig(name=f"folder:{root}", size=12))
    want = ds.train.double().mean(0) / 255
    assert torch.allclose(ds.pixel_mean(chunk=7).double(), want, atol=1e-6)


@pytest.mark.slow
def test_a_folder_larger_than_the_memory_limit_trains_in_bounded_anonymous_memory(tmp_path):
    """8,000 images at 64x64: 393 MB as float32, 98 MB as uint8. Against the same run on 100 of
    them, training on all adds less than 40 MB of anonymous memory (RssAnon: what is not the
    memory-mapped cache), so neither the floats nor the uint8 pixels are ever held in memory."""
    from gankit.bench.folder import linked_folder, peak_anon_training

    if not os.path.exists("/proc/self/status"):
        pytest.skip("RssAnon is read from /proc (Linux)")
    limit = 40 << 20
    assert 8_000 * 3 * 64 * 64 * 4 > 9 * limit  # the folder is far larger than the limit, even as uint8
    peaks = {}
    for n in (100, 8_000):  # links to 64 distinct images: 8,000 files to decode, without writing 8,000 images
        folder = linked_folder(tmp_path / f"w{n}", n, 64, distinct=64)
        over = [f"data.name=folder:{folder}", "data.size=64", "model.g=conv", "model.d=conv", "model.conv_width=8",
                "model.z_dim=8", "train.batch_size=32", "train.steps=15", "train.log_every=5", "train.sample_every=0",
                "train.checkpoint_every=1000", "threads=1", f"data.cache_dir={tmp_path / 'cache'}"]
        got = peak_anon_training(tmp_path / f"run-{n}", over, env={"GANKIT_CACHE": str(tmp_path / "gc")}, timeout=600)
        assert got["step"] == 15
        peaks[n] = got["peak_kb"] * 1024
    assert peaks[8_000] - peaks[100] < limit, f"{(peaks[8_000] - peaks[100]) / 2**20:.0f} MB more for 8,000 images"
