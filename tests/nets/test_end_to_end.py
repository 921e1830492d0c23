"""Every net that grows with the image, end to end as a user runs it: trained a few steps on a
folder of PNGs (with class sub-folders), resumed bit for bit, sampled, exported to ONNX, reported;
the slow test does so at every side from 16 to 512 (reporting up to 128)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers import write_image_folder

from gankit.cli import main
from gankit.nets.scaled import SIDES
from gankit.sampling.export import run_onnx

FAMILIES = ("dcgan", "resnet", "light")


def config(tmp_path, family: str, side: int, *extra: str):
    return tmp_path / "cfg.toml", [
        f"data.name=folder:{tmp_path / 'images'}", f"data.size={side}", f"data.cache_dir={tmp_path / 'cache'}",
        f"model.g={family}", f"model.d={family}", "model.base_width=2", "model.max_width=4", "model.z_dim=4",
        "train.batch_size=4", "train.log_every=1", "train.sample_every=0", "train.checkpoint_every=2", "threads=1",
        "device=cpu", "channels_last=true", *extra]


def cli(cfg_file, sets, *args):
    return main([*args, "--config", str(cfg_file), *[a for s in sets for a in ("--set", s)]])


def same_checkpoints(a, b) -> bool:
    x, y = (torch.load(p / "checkpoints" / "latest.pt", weights_only=True) for p in (a, b))
    nets = all(torch.equal(x[n][k], y[n][k]) for n in ("G", "D", "G_ema") if n in x for k in x[n])
    moments = all(torch.equal(x["opt_G"]["state"][i]["exp_avg"], y["opt_G"]["state"][i]["exp_avg"]) for i in x["opt_G"]["state"])
    return nets and moments and x.get("augment") == y.get("augment") and x["step"] == y["step"]


@pytest.mark.parametrize("family", FAMILIES)
def test_a_net_trains_on_a_folder_resumes_exactly_samples_exports_and_reports(tmp_path, family, capsys):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (pip install 'gankit[onnx]')")
    write_image_folder(tmp_path / "images", 16)
    (tmp_path / "cfg.toml").write_text("")
    cfg_file, sets = config(tmp_path, family, 16, "model.conditional=true", "train.loss=hinge", "train.ema=0.9",
                            "train.augment=translation,color,cutout,ada", "train.ada_kimg=0.02", "train.ada_interval=1",
                            "data.mirror=true", "train.r1_gamma=0.1")
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert cli(cfg_file, sets + ["train.steps=4"], "train", "--out", str(whole)) == 0
    assert cli(cfg_file, sets + ["train.steps=2"], "train", "--out", str(part)) == 0
    assert main(["train", "--resume", str(part), "--set", "train.steps=4"]) == 0
    assert same_checkpoints(whole, part)
    rows = [json.loads(r) for r in (whole / "log.jsonl").read_text().splitlines()]
    assert all(0 <= r["augment_p"] <= 1 and -1 <= r["ada_rt"] <= 1 for r in rows)  # ADA's p and r_t, logged
    assert main(["sample", str(whole), "--n", "6", "--class", "1", "--out", str(tmp_path / "x.npy")]) == 0
    x = np.load(tmp_path / "x.npy")
    assert x.shape == (6, 3, 16, 16) and 0 <= x.min() and x.max() <= 1
    assert main(["sample", str(whole), "--n", "4", "--out", str(tmp_path / "grid.png")]) == 0
    assert main(["export", str(whole), "--out", str(tmp_path / "G.onnx")]) == 0
    assert main(["report", str(whole)]) == 0 and (whole / "report.html").stat().st_size > 1000
    capsys.readouterr()


@pytest.mark.slow
@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("family", FAMILIES)
def test_every_side_trains_resumes_exactly_samples_and_exports(tmp_path, family, side, capsys):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (pip install 'gankit[onnx]')")
    channels = 1 if side == 32 else 3
    write_image_folder(tmp_path / "images", side, n=6, channels=channels)
    cfg_file, sets = config(tmp_path, family, side, "train.loss=hinge", "train.batch_size=2",
                            *(["train.augment=translation,ada", "train.augment_p=0.5", "train.ada_target=0"] if side <= 64 else []))
    cfg_file.write_text("")
    assert cli(cfg_file, sets + ["train.steps=2"], "train", "--out", str(tmp_path / "whole")) == 0
    assert cli(cfg_file, sets + ["train.steps=1", "train.checkpoint_every=1"], "train", "--out", str(tmp_path / "part")) == 0
    assert main(["train", "--resume", str(tmp_path / "part"), "--set", "train.steps=2"]) == 0
    assert same_checkpoints(tmp_path / "whole", tmp_path / "part")
    assert main(["sample", str(tmp_path / "whole"), "--n", "2", "--out", str(tmp_path / "x.npy")]) == 0
    assert np.load(tmp_path / "x.npy").shape == (2, channels, side, side)
    assert main(["export", str(tmp_path / "whole"), "--out", str(tmp_path / "G.onnx")]) == 0  # checked against PyTorch
    out = run_onnx(tmp_path / "G.onnx", torch.randn(2, 4))
    assert out.shape == (2, channels, side, side) and 0 <= out.min() and out.max() <= 1
    if side <= 128:  # the report's memorisation check draws 1000 samples: at 512×512 that is minutes and GBs
        assert main(["report", str(tmp_path / "whole")]) == 0 and (tmp_path / "whole" / "report.html").stat().st_size > 1000
    capsys.readouterr()


def test_a_side_these_nets_cannot_grow_to_is_one_line_naming_data_size(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 24, n=4)
    cfg_file, sets = config(tmp_path, "dcgan", 24, "train.steps=1")
    cfg_file.write_text("")
    assert cli(cfg_file, sets, "train", "--out", str(tmp_path / "run")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error: config key data.size: model.g = dcgan needs")
    assert not (tmp_path / "run" / "checkpoints").exists()
    assert not (tmp_path / "cache").exists()  # refused before the folder was decoded


@pytest.mark.parametrize("name,side", [("folder-64.toml", 64), ("folder-128.toml", 128)])
def test_the_shipped_folder_configs_build_their_nets_at_their_side(name, side):
    from helpers import CONFIGS

    from gankit import config
    from gankit.nets import build_discriminator, build_generator

    cfg = config.load(CONFIGS / name)
    assert cfg.data.size == side and cfg.channels_last and cfg.train.augment == "ada"
    G = build_generator(cfg.model, (3, side, side), "image")
    D = build_discriminator(cfg.model, (3, side, side), "image")
    x = G.eval()(torch.randn(2, cfg.model.z_dim))
    assert x.shape == (2, 3, side, side) and D(x).shape == (2,)
