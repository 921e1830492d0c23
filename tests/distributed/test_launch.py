"""`gankit train --nproc P`: the torchrun command it runs, and what it refuses."""

import pytest

from gankit.cli import main
from gankit.distributed.launch import torchrun_args


def test_one_machine_uses_torchruns_standalone_rendezvous():
    assert torchrun_args(["train", "--resume", "r"], 2) == ["--nproc-per-node=2", "--standalone", "--module", "gankit",
                                                            "train", "--resume", "r"]


def test_several_machines_meet_at_the_rendezvous_endpoint():
    args = torchrun_args(["train"], 4, nnodes=2, rdzv_endpoint="node1:29400")
    assert args[:5] == ["--nproc-per-node=4", "--nnodes=2", "--rdzv-backend=c10d", "--rdzv-endpoint=node1:29400",
                        "--rdzv-id=gankit"]


@pytest.mark.parametrize("argv, needle", [
    (["--nproc", "0"], "--nproc must be >= 1"),
    (["--nproc", "2", "--nnodes", "2"], "--nnodes > 1 needs --rdzv-endpoint"),
])
def test_bad_launch_options_are_one_line_errors(capsys, tmp_path, argv, needle):
    assert main(["train", *argv, "--config", "configs/ring8-gan.toml", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_nproc_inside_torchrun_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert main(["train", "--nproc", "2", "--config", "configs/ring8-gan.toml", "--out", str(tmp_path / "r")]) == 2
    assert "already started by torchrun" in capsys.readouterr().err
