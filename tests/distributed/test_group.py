"""Several processes as one run: the rank helpers and collectives, batch norm over the global batch,
and real torchrun launches (gloo, CPU) compared with one process."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch
from helpers import CONFIGS
from hypothesis import given
from hypothesis import strategies as st

from gankit import checkpoint, config
from gankit.distributed import AgreedError, GlobalBatchNorm, Rank, unwrap
from gankit.errors import GankitError
from gankit.train import train

RING8 = ["train.steps=100", "train.batch_size=64", "model.g_hidden=[32]", "model.d_hidden=[32]",
         "train.log_every=25", "train.checkpoint_every=50", "train.sample_every=0", "threads=1"]
# The paper's nets (maxout D with dropout on inputs and hidden units, max-norm) on a small image set.
PAPER = ["data.name=digits", "train.steps=100", "train.log_every=50", "train.checkpoint_every=50",
         "train.sample_every=0", "threads=1"]


# --- the rank helpers, in one process -------------------------------------------------------------

@given(st.integers(0, 50), st.integers(1, 6))
def test_shares_split_n_items_into_contiguous_parts_in_rank_order(n, world):
    parts = [Rank(r, world).share(n) for r in range(world)]
    assert [i for s in parts for i in range(n)[s]] == list(range(n))


def test_a_global_batch_that_does_not_split_evenly_is_refused():
    assert Rank(1, 4).local_batch(64) == 16
    with pytest.raises(GankitError, match="train.batch_size .*divisible"):
        Rank(0, 3).local_batch(64)


def test_unwrap_reaches_the_plain_net():
    net = torch.nn.Linear(2, 1)

    class Wrapper(torch.nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    assert unwrap(Wrapper(Wrapper(net))) is net and unwrap(net) is net


# --- collectives, on two real processes (gloo) -----------------------------------------------------

def _collectives(rank: int, world: int, init: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    try:
        r = Rank(rank, world)
        assert r.broadcast_bytes(b"from one" if rank == 1 else None, src=1) == b"from one"
        assert r.broadcast_bytes(b"" if rank == 0 else None) == b""
        # Evaluation samples split unevenly (3 + 2 rows) come back whole and in order.
        n = 5
        part = torch.arange(n, dtype=torch.float32).view(n, 1)[r.share(n)]
        assert torch.equal(r.gather_rows(part, n), torch.arange(n, dtype=torch.float32).view(n, 1))

        # A failure on one process becomes an error on both; the other's is silent (no double report).
        try:
            with r.together():
                if rank == 1:
                    raise GankitError("disk full on one")
            raise AssertionError("together did not raise")
        except AgreedError as e:
            assert rank == 0 and e.silent and "(process 1) disk full on one" in str(e)
        except GankitError as e:
            assert rank == 1 and str(e) == "disk full on one" and not getattr(e, "silent", False)
        with r.together():
            pass  # all well: everyone goes on

        # Batch norm over the global batch: each process normalizes its rows with the statistics
        # of all rows, and the gradients are those of the whole batch.
        for shape in [(8, 3), (8, 2, 3, 3)]:
            gen = torch.Generator().manual_seed(0)
            x_all = torch.randn(shape, generator=gen) * 3 + 1
            w_all = torch.randn(shape, generator=gen)
            reference = torch.nn.BatchNorm1d(shape[1]) if len(shape) == 2 else torch.nn.BatchNorm2d(shape[1])
            with torch.no_grad():
                reference.weight.uniform_(0.5, 1.5, generator=gen)
                reference.bias.uniform_(-1, 1, generator=gen)
            ours = GlobalBatchNorm(shape[1])
            ours.load_state_dict(reference.state_dict())
            x_ref = x_all.clone().requires_grad_(True)
            y_ref = reference(x_ref)
            (y_ref * w_all).sum().backward()
            x = r.take(x_all).clone().requires_grad_(True)
            y = ours(x)
            assert torch.allclose(y, r.take(y_ref.detach()), atol=1e-5)
            (y * r.take(w_all)).sum().backward()
            assert torch.allclose(x.grad, r.take(x_ref.grad), atol=1e-5)
            for p_ours, p_ref in [(ours.weight, reference.weight), (ours.bias, reference.bias)]:
                g = p_ours.grad.clone()
                dist.all_reduce(g)  # DDP sums the processes' parts (then divides by P, as each loss is a mean)
                assert torch.allclose(g, p_ref.grad, atol=1e-4)
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                assert torch.allclose(getattr(ours, name).double(), getattr(reference, name).double(), atol=1e-6), name
            assert set(ours.state_dict()) == set(reference.state_dict())
    finally:
        dist.destroy_process_group()


def test_collectives_agreement_and_global_batch_norm_on_two_processes(tmp_path):
    torch.multiprocessing.spawn(_collectives, args=(2, f"file://{tmp_path / 'rendezvous'}"), nprocs=2)


# --- torchrun -----------------------------------------------------------------------------------

def _env():
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def _run(cmd, timeout):
    """Run a launcher and its processes in their own session; on a timeout (a hang) kill them all."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"{cmd[2:]} hung for {timeout} s:\n{err[-4000:]}") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def torchrun(*args, nproc=2, check=True, timeout=600):
    """`torchrun --standalone --nproc-per-node=P -m gankit ...` (torchrun picks a free port)."""
    p = _run([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
              "-m", "gankit", *map(str, args)], timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"torchrun {args} exited {p.returncode}:\n{p.stderr[-4000:]}")
    return p


def gankit(*args, check=True, timeout=600):
    p = _run([sys.executable, "-m", "gankit", *map(str, args)], timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"gankit {args} exited {p.returncode}:\n{p.stderr[-4000:]}")
    return p


def sets(overrides):
    return [a for o in overrides for a in ("--set", o)]


def latest(run, name="latest.pt"):
    return torch.load(run / "checkpoints" / name, weights_only=True)


def relative_difference(a: dict, b: dict) -> float:
    """||a - b|| / ||a|| over all floating tensors of two state dicts, as one vector."""
    keys = [k for k in a if a[k].is_floating_point()]
    x = torch.cat([a[k].flatten().double() for k in keys])
    y = torch.cat([b[k].flatten().double() for k in keys])
    return ((x - y).norm() / x.norm()).item()


def rows(run):
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def ring8_two(tmp_path_factory):
    """A 2-process ring8 run of 100 steps (checkpoints at 50 and 100, both kept as step files)."""
    run = tmp_path_factory.mktemp("two") / "run"
    p = torchrun("train", "--config", CONFIGS / "ring8-gan.toml", *sets(RING8), "--out", run)
    return run, p


@pytest.mark.slow
def test_two_processes_compute_what_one_process_computes_on_ring8(ring8_two, tmp_path):
    run, p = ring8_two
    one = train(config.load(CONFIGS / "ring8-gan.toml", RING8), tmp_path / "one", quiet=True)
    two = latest(run)
    assert two["step"] == 100 and two["world_size"] == 2
    assert not any(k.startswith("module.") for k in two["G"])  # plain keys: loads in one process
    init = train(config.load(CONFIGS / "ring8-gan.toml", RING8 + ["train.steps=0"]), tmp_path / "init", quiet=True)
    diff = relative_difference(one.G.state_dict(), two["G"])
    moved = relative_difference(one.G.state_dict(), init.G.state_dict())
    assert diff <= 1e-3 and moved > 1000 * diff, (diff, moved)
    assert relative_difference(one.D.state_dict(), two["D"]) <= 1e-3
    assert {r["world_size"] for r in rows(run)} == {2} and [r["step"] for r in rows(run)] == [25, 50, 75, 100]
    assert "2 processes" in p.stderr and p.stderr.count("gankit: training ") == 1  # only rank 0 reports
    assert sorted(n.name for n in (run / "checkpoints").glob("*.pt")) == ["latest.pt", "step-0000050.pt",
                                                                          "step-0000100.pt"]


@pytest.mark.slow
def test_two_processes_match_one_with_the_paper_nets_and_their_dropout(tmp_path):
    run = tmp_path / "two"
    torchrun("train", "--config", CONFIGS / "paper-mnist.toml", *sets(PAPER), "--out", run)
    cfg = config.load(CONFIGS / "paper-mnist.toml", PAPER)
    one = train(cfg, tmp_path / "one", quiet=True)
    init = train(config.load(CONFIGS / "paper-mnist.toml", PAPER + ["train.steps=0"]), tmp_path / "init", quiet=True)
    two = latest(run)
    diff = relative_difference(one.G.state_dict(), two["G"])
    moved = relative_difference(one.G.state_dict(), init.G.state_dict())
    assert diff <= 1e-3 and moved > 100 * diff, (diff, moved)
    assert relative_difference(one.D.state_dict(), two["D"]) <= 1e-3
    # The same dropout masks were drawn: every layer's mask generator ends in the same state.
    one_masks = checkpoint.load(tmp_path / "one" / "checkpoints" / "latest.pt")["rng"]["dropout"]
    assert one_masks.keys() == two["rng"]["dropout"].keys() and len(one_masks) == 3
    assert all(torch.equal(two["rng"]["dropout"][k], one_masks[k]) for k in one_masks)


@pytest.mark.slow
def test_batch_norm_dropout_and_in_training_evaluation_on_two_processes(tmp_path):
    """digits.toml: batch norm in G (synchronized over the global batch), dropout in D; FD every
    10 steps from samples the two processes generate half each (101: an uneven split)."""
    sets_ = ["train.steps=20", "train.batch_size=32", "train.log_every=10", "train.checkpoint_every=10",
             "train.sample_every=0", "train.eval_every=10", "train.eval_n=101", "threads=1"]
    run = tmp_path / "two"
    torchrun("train", "--config", CONFIGS / "digits.toml", *sets(sets_), "--out", run)
    one = train(config.load(CONFIGS / "digits.toml", sets_), tmp_path / "one", quiet=True)
    assert relative_difference(one.G.state_dict(), latest(run)["G"]) <= 1e-3
    fd_two = [r["fd"] for r in rows(run) if "fd" in r]
    fd_one = [r["fd"] for r in rows(tmp_path / "one") if "fd" in r]
    assert len(fd_two) == 2 and fd_two == pytest.approx(fd_one, rel=1e-4)
    assert latest(run, "best.pt")["extra"]["best_step"] == latest(tmp_path / "one", "best.pt")["extra"]["best_step"]


@pytest.mark.slow
@pytest.mark.parametrize("nproc", [1, 2])
def test_a_two_process_run_resumes_on_one_or_two_processes(ring8_two, tmp_path, nproc):
    run, _ = ring8_two
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    # Go back to step 50: latest.pt as it was then (the kept step file).
    (copy / "checkpoints" / "latest.pt").unlink()
    (copy / "checkpoints" / "step-0000100.pt").unlink()
    shutil.copy(copy / "checkpoints" / "step-0000050.pt", copy / "checkpoints" / "latest.pt")
    if nproc == 1:
        resumed = train(None, resume=copy, quiet=True)
        weights = resumed.G.state_dict()
    else:
        torchrun("train", "--resume", copy)
        weights = latest(copy)["G"]
    end = latest(copy)
    assert end["step"] == 100 and end["world_size"] == nproc
    reference = latest(run)["G"]
    if nproc == 2:  # the same processes in the same order: bit for bit
        assert all(torch.equal(weights[k], reference[k]) for k in reference)
    else:  # one process: the same update up to float summation order
        assert relative_difference(reference, weights) <= 1e-3
    log = rows(copy)
    assert [r["step"] for r in log] == [25, 50, 75, 100] and [r["world_size"] for r in log] == [2, 2, nproc, nproc]


@pytest.mark.slow
def test_bad_input_on_two_processes_is_one_line_and_exit_2(tmp_path):
    p = gankit("train", "--nproc", 2, "--config", CONFIGS / "ring8-gan.toml", *sets(RING8 + ["train.batch_size=33"]),
               "--out", tmp_path / "r", check=False)
    assert p.returncode == 2, p.stderr
    errors = [line for line in p.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith("gankit: error: config key train.batch_size (33)"), p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.slow
def test_sigterm_on_two_processes_saves_exits_0_and_says_how_to_resume(tmp_path):
    run = tmp_path / "run"
    args = [sys.executable, "-m", "gankit", "train", "--nproc", "2", "--config", str(CONFIGS / "ring8-gan.toml"),
            *sets(RING8 + ["train.steps=1000000", "train.log_every=10", "train.checkpoint_every=1000000"]),
            "--out", str(run)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env(),
                            start_new_session=True)
    log = run / "log.jsonl"
    deadline = time.monotonic() + 300
    while not (log.exists() and log.read_text().count("\n") >= 3) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)  # what a scheduler sends; torchrun passes it on to both processes
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err  # both processes saved and exited 0
    assert "continue with: " in err and f"gankit train --resume {run} --nproc 2" in err and "Traceback" not in err
    ck = latest(run)
    assert ck["step"] == rows(run)[-1]["step"] >= 30 and ck["world_size"] == 2
    assert "(terminated)" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_nodes_on_localhost_train_one_run(tmp_path):
    """Two torchrun invocations (one process each) meet at a rendezvous endpoint on 127.0.0.1:
    the worked multi-node example of docs/distributed.md."""
    port = _free_port()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc-per-node=1", "--rdzv-backend=c10d",
           f"--rdzv-endpoint=127.0.0.1:{port}", "--rdzv-id=two-nodes", "-m", "gankit", "train",
           "--config", str(CONFIGS / "ring8-gan.toml"), *sets(RING8 + ["train.steps=20", "train.log_every=10"]),
           "--out", str(tmp_path / "run")]
    nodes = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                              start_new_session=True) for _ in range(2)]
    try:
        outs = [n.communicate(timeout=300) for n in nodes]
    finally:
        for n in nodes:
            if n.poll() is None:
                os.killpg(n.pid, signal.SIGKILL)
    assert [n.returncode for n in nodes] == [0, 0], outs
    assert latest(tmp_path / "run")["world_size"] == 2 and rows(tmp_path / "run")[-1]["step"] == 20
