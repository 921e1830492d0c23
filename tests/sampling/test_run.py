"""gankit.sampling.run: every command that reads a run opens its checkpoint here; one copied in from
another run is refused, a corrupt latest.pt names the kept checkpoint that loads."""

import hashlib
import shutil

import pytest
from helpers import CONFIGS

from gankit import config
from gankit.cli import main
from gankit.train import train

TINY = ["train.steps=20", "train.batch_size=32", "train.log_every=10", "train.sample_every=0",
        "train.checkpoint_every=10", "model.g_hidden=[16]", "model.d_hidden=[16]", "threads=1"]


def files(path):
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    train(config.load(CONFIGS / "heights.toml", TINY), base / "heights", quiet=True)
    train(config.load(CONFIGS / "ring8.toml", TINY), base / "ring8", quiet=True)
    return base


@pytest.mark.parametrize("command", [
    ["sample", "{run}", "--n", "5", "--out", "{tmp}/s.npy"],
    ["evaluate", "{run}", "--metrics", "ks", "--n", "50"],
    ["figures", "{run}"],
    ["report", "{run}"],
    ["export", "{run}", "--out", "{tmp}/G.onnx"],
    ["train", "--resume", "{run}", "--set", "train.steps=30"],
])
def test_a_checkpoint_copied_from_another_run_is_refused_by_every_reader(runs, tmp_path, capsys, command):
    """Issue 25: ring8's latest.pt copied into a heights run was sampled (2-D samples) and evaluated
    (ks_x0, ks_x1 in the heights run's metrics.json) as if it belonged there."""
    run = tmp_path / "heights"
    shutil.copytree(runs / "heights", run)
    shutil.copy(runs / "ring8" / "checkpoints" / "latest.pt", run / "checkpoints" / "latest.pt")
    before = files(run)
    args = [a.format(run=run, tmp=tmp_path) for a in command]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"gankit: error: checkpoint {run}/checkpoints/latest.pt does not "
                                               f"belong to run {run}: its config differs from {run}/config.toml in ")
    assert "data.name: 'heights' -> 'ring8'" in err[0]
    assert files(run) == before and not (tmp_path / "s.npy").exists() and not (tmp_path / "G.onnx").exists()


def test_a_checkpoint_given_by_path_must_belong_too(runs, tmp_path, capsys):
    code = main(["sample", str(runs / "heights"), "--n", "5", "--out", str(tmp_path / "s.npy"),
                 "--checkpoint", str(runs / "ring8" / "checkpoints" / "latest.pt")])
    assert code == 2 and "does not belong to run" in capsys.readouterr().err


def test_the_runs_own_older_checkpoints_belong_though_its_length_changed(runs, tmp_path, capsys):
    """A step file written before `--resume --set train.steps=...` differs from config.toml only in
    keys a resume may change: it is the run's own."""
    run = tmp_path / "heights"
    shutil.copytree(runs / "heights", run)
    assert main(["train", "--resume", str(run), "--set", "train.steps=30", "--set", "train.log_every=5"]) == 0
    older = run / "checkpoints" / "step-0000020.pt"  # written with train.steps = 20, log_every = 10
    assert older.is_file()
    assert main(["sample", str(run), "--n", "5", "--out", str(tmp_path / "s.npy"), "--checkpoint", str(older)]) == 0


def test_a_corrupt_latest_pt_names_the_kept_checkpoint_and_how_to_use_it(runs, tmp_path, capsys):
    """Issue 25: `sample` with a corrupt latest.pt did not say that a kept step-*.pt exists."""
    run = tmp_path / "heights"
    shutil.copytree(runs / "heights", run)
    latest = run / "checkpoints" / "latest.pt"
    latest.write_bytes(latest.read_bytes()[:500])
    assert main(["sample", str(run), "--n", "5", "--out", str(tmp_path / "s.npy")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    kept = run / "checkpoints" / "step-0000020.pt"
    assert len(err) == 1 and "latest.pt is not a readable checkpoint" in err[0]
    assert f"the kept checkpoint {kept} (step 20) loads: use it with --checkpoint {kept}" in err[0]
    assert main(["sample", str(run), "--n", "5", "--out", str(tmp_path / "s.npy"), "--checkpoint", str(kept)]) == 0


def test_a_step_checkpoint_copied_from_another_run_is_refused_before_any_figure(runs, tmp_path, capsys):
    """The paper's figures (Figure 1, saturation) read every kept step-NNNNNNN.pt: one copied in from
    another run is refused like latest.pt, in one line, before a figure is drawn."""
    run = tmp_path / "heights"
    train(config.load(CONFIGS / "heights.toml", TINY + ["train.keep_every=4"]), run, quiet=True)
    assert main(["figures", str(run)]) == 0  # its own five step files draw Figure 1 and saturation
    assert {"figure1.png", "saturation.png"} <= {p.name for p in (run / "figures").iterdir()}
    capsys.readouterr()
    shutil.copy(runs / "ring8" / "checkpoints" / "step-0000010.pt", run / "checkpoints" / "step-0000002.pt")
    before = files(run)
    assert main(["figures", str(run), "--force"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"gankit: error: checkpoint {run}/checkpoints/step-0000002.pt does "
                                               f"not belong to run {run}")
    assert files(run) == before
