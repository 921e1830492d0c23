"""`gankit export RUN --out G.onnx`: onnxruntime gives the samples PyTorch gives, from the same z."""

import pytest
import torch
from helpers import CONFIGS

from gankit import checkpoint, config
from gankit.cli import main
from gankit.sampling import load_generator
from gankit.train import train

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed (pip install 'gankit[onnx]')")
pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'gankit[onnx]')")
pytest.importorskip("onnxscript", reason="onnxscript is not installed (pip install 'gankit[onnx]')")

from gankit.sampling.export import run_onnx  # noqa: E402

TINY = ["train.steps=10", "train.batch_size=32", "train.log_every=10", "train.sample_every=0",
        "train.checkpoint_every=10", "threads=1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("export")
    out = {}
    for name, (cfg, extra) in {"heights": ("heights.toml", ["model.g_hidden=[16]", "model.d_hidden=[16]"]),
                               "conv": ("fashion-mnist-conv.toml", ["data.name=digits", "data.size=8",
                                                                    "model.conv_width=8"])}.items():
        out[name] = base / name
        train(config.load(CONFIGS / cfg, TINY + extra), out[name], quiet=True)
    return out


@pytest.mark.parametrize("name", ["heights", "conv"])
def test_onnx_matches_pytorch_for_the_same_z(runs, tmp_path, name, capsys):
    assert main(["export", str(runs[name]), "--out", str(tmp_path / "G.onnx")]) == 0
    assert "onnxruntime matches PyTorch" in capsys.readouterr().err
    G = load_generator(runs[name])
    z = G.noise(37, torch.Generator().manual_seed(5))  # a batch size the export never saw
    torch.testing.assert_close(run_onnx(tmp_path / "G.onnx", z), G(z), rtol=0, atol=1e-5)
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "G.onnx")).metadata_props}
    assert meta["gankit.z_dim"] == str(G.z_dim) and meta["gankit.kind"] == G.kind and meta["gankit.weights"] == "G"


def test_the_ema_weights_are_exported_when_present(runs, tmp_path):
    state = checkpoint.load(runs["heights"] / "checkpoints" / "latest.pt")
    state["G_ema"] = {k: v * 0.5 if v.is_floating_point() else v for k, v in state["G"].items()}
    checkpoint.save(state, tmp_path / "ema.pt")
    assert main(["export", str(runs["heights"]), "--checkpoint", str(tmp_path / "ema.pt"),
                 "--out", str(tmp_path / "ema.onnx")]) == 0
    assert main(["export", str(runs["heights"]), "--checkpoint", str(tmp_path / "ema.pt"), "--no-ema",
                 "--out", str(tmp_path / "plain.onnx")]) == 0
    z = torch.randn(20, load_generator(runs["heights"]).z_dim)
    ema, plain = load_generator(runs["heights"], str(tmp_path / "ema.pt")), load_generator(
        runs["heights"], str(tmp_path / "ema.pt"), ema=False)
    torch.testing.assert_close(run_onnx(tmp_path / "ema.onnx", z), ema(z), rtol=0, atol=1e-5)
    torch.testing.assert_close(run_onnx(tmp_path / "plain.onnx", z), plain(z), rtol=0, atol=1e-5)
    assert not torch.allclose(ema(z), plain(z))


def test_bad_output_name_is_one_error(runs, tmp_path, capsys):
    assert main(["export", str(runs["heights"]), "--out", str(tmp_path / "G.pt")]) == 2
    assert capsys.readouterr().err.startswith("gankit: error: --out") and not (tmp_path / "G.pt").exists()


def test_an_existing_out_is_replaced_only_with_force(runs, tmp_path, capsys):
    mine = tmp_path / "G.onnx"
    mine.write_bytes(b"mine")
    assert main(["export", str(runs["heights"]), "--out", str(mine)]) == 2
    assert "already exists; give --force" in capsys.readouterr().err and mine.read_bytes() == b"mine"
    assert main(["export", str(runs["heights"]), "--out", str(mine), "--force"]) == 0 and mine.read_bytes() != b"mine"


def test_a_read_only_output_folder_is_one_line(runs, tmp_path, capsys, monkeypatch):
    """Issue 25: the temporary file's cleanup raised inside the error handler."""
    from helpers import read_only

    out = tmp_path / "ro"
    out.mkdir()
    read_only(monkeypatch, out)
    assert main(["export", str(runs["heights"]), "--out", str(out / "G.onnx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error: cannot write") and "ermission denied" in err[0]
    monkeypatch.undo()
    assert list(out.iterdir()) == []
