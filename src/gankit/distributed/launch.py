"""`gankit train --nproc P ...`: the same command on P processes, started by torchrun.

gankit has no launcher of its own: this builds the torchrun command line for
`torchrun --nproc-per-node=P -m gankit train ...` and runs it through torch.distributed.run's
Python API, in this process (which becomes torchrun's agent). One machine uses torchrun's
standalone rendezvous (a free local port); several machines (`--nnodes N`) meet at
`--rdzv-endpoint HOST:PORT` through torchrun's c10d rendezvous, each machine running the same
command.

The exit status is the training processes' own: 0 when they all finished or saved on SIGTERM,
2 when they stopped on bad input (each reported it once), 130 on Ctrl-C. torchrun reports a
worker's status only when it failed, and not at all when the agent itself was signalled, so each
worker writes its exit status into a folder named by GANKIT_LAUNCH_STATUS (`report_exit`).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from ..errors import GankitError

STATUS_ENV = "GANKIT_LAUNCH_STATUS"


def torchrun_args(worker_argv: list[str], nproc: int, nnodes: int = 1, rdzv_endpoint: str | None = None,
                  rdzv_id: str = "gankit") -> list[str]:
    """torchrun's command line (without `torchrun`) for `python -m gankit <worker_argv>` on
    `nproc` processes per machine."""
    if nproc < 1:
        raise GankitError(f"--nproc must be >= 1 (processes on this machine), got {nproc}")
    if nnodes < 1:
        raise GankitError(f"--nnodes must be >= 1 (machines taking part), got {nnodes}")
    args = [f"--nproc-per-node={nproc}"]
    if nnodes == 1 and not rdzv_endpoint:
        args.append("--standalone")
    else:
        if not rdzv_endpoint:
            raise GankitError("--nnodes > 1 needs --rdzv-endpoint HOST:PORT, a free port on one of the machines that "
                              "all of them reach (e.g. --rdzv-endpoint node1:29400)")
        args += [f"--nnodes={nnodes}", "--rdzv-backend=c10d", f"--rdzv-endpoint={rdzv_endpoint}", f"--rdzv-id={rdzv_id}"]
    return args + ["--module", "gankit", *worker_argv]


def inside_torchrun() -> bool:
    return "TORCHELASTIC_RUN_ID" in os.environ or "LOCAL_RANK" in os.environ


def launch(worker_argv: list[str], nproc: int, nnodes: int = 1, rdzv_endpoint: str | None = None) -> int:
    """Run `gankit <worker_argv>` on nproc processes (per machine) through torchrun; returns the
    exit status for this command."""
    if inside_torchrun():
        raise GankitError("--nproc is for starting processes; this one was already started by torchrun "
                          "(drop --nproc, or run gankit train --nproc P without torchrun)")
    args = torchrun_args(worker_argv, nproc, nnodes, rdzv_endpoint)
    from torch.distributed import run as torchrun
    from torch.distributed.elastic.multiprocessing import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith(("torch.distributed.run", "torch.distributed.elastic", "torch.distributed.launcher")):
            logging.getLogger(name).setLevel(logging.CRITICAL)  # gankit's own lines say what happens
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # what torchrun sets (with a warning) for P > 1
    status = Path(tempfile.mkdtemp(prefix="gankit-launch-"))
    os.environ[STATUS_ENV] = str(status)
    try:
        torchrun.run(torchrun.parse_args(args))
        return 0
    except ChildFailedError as e:
        # Processes torchrun itself stopped (SIGTERM) because another one exited are not causes.
        codes = sorted({f.exitcode for f in e.failures.values() if f.exitcode != -signal.SIGTERM})
        if codes in ([2], [130]):
            return codes[0]  # bad input (reported by a worker) or Ctrl-C
        # The cause, not the processes torchrun stopped with SIGTERM because of it.
        causes = [r for r, f in e.failures.items() if f.exitcode != -signal.SIGTERM] or list(e.failures)
        rank = min(causes, key=lambda r: (e.failures[r].timestamp, r))
        failure = e.failures[rank]
        how = (f"was killed by signal {signal.Signals(-failure.exitcode).name}" if failure.exitcode < 0
               else f"exited with status {failure.exitcode} (its output above says why)")
        print(f"gankit: error: training process {rank} {how}; torchrun stopped the others. The run continues "
              f"from its last checkpoint with: gankit train --resume RUN --nproc {nproc}", file=sys.stderr)
        return 1
    except SignalException as e:
        codes = _statuses(status)
        if e.sigval == signal.SIGINT:
            return 130
        if e.sigval == signal.SIGTERM and len(codes) == nproc and set(codes.values()) == {0}:
            return 0  # every process saved and stopped cleanly
        return 128 + int(e.sigval)
    finally:
        os.environ.pop(STATUS_ENV, None)
        shutil.rmtree(status, ignore_errors=True)


def report_exit(code: int) -> None:
    """In a process started by `launch`: leave this process's exit status for the launcher."""
    folder = os.environ.get(STATUS_ENV)
    if folder and "LOCAL_RANK" in os.environ:
        try:
            (Path(folder) / f"rank-{os.environ['LOCAL_RANK']}").write_text(str(code))
        except OSError:
            pass


def _statuses(folder: Path) -> dict[str, int]:
    out = {}
    for p in folder.glob("rank-*"):
        try:
            out[p.name] = int(p.read_text())
        except (OSError, ValueError):
            pass
    return out
