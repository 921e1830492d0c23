"""`gankit export RUN --out G.onnx`: the generator alone, as ONNX, for use outside PyTorch.

The graph maps z (N×z_dim, float32, drawn from the run's prior) — and for a conditional run c
(N class ids, int64) — to samples in the data's own units, exactly as `gankit sample` writes them:
images N×C×H×W in [0, 1], points N×D with the data's shift and scale applied. N is free. The EMA
weights are exported when the checkpoint has them (unless `ema=False`). What a user needs to
draw z and read the output (prior, z_dim, kind, shape, columns, step, weights) is stored in the
model's metadata. The export is checked with onnxruntime, when installed, against PyTorch on a
few draws of z. Needs the optional extra: `pip install 'gankit[onnx]'`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from ..data.dataset import to_data_units
from ..errors import GankitError, brief
from .generator import Generator, load_generator
from .outputs import check_output, writable_folder, write_file

TOLERANCE = 1e-4  # largest difference from PyTorch an export may show in its self-check


class DataUnitGenerator(nn.Module):
    """G followed by the map to data units, as one traceable module (what the ONNX graph holds)."""

    def __init__(self, G: Generator):
        super().__init__()
        self.net, self.info, self.conditional = G.net, G.info, G.conditional

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return to_data_units(self.net(z) if c is None else self.net(z, c), self.info)


def export_onnx(run: str | Path, out: str | Path, which: str = "latest",
                ema: bool | None = None, force: bool = False) -> tuple[Path, Generator, str]:
    """Write RUN's generator to `out` as ONNX; returns (path, the Generator exported, what the
    self-check found). An existing `out` is replaced only with `force`, a data file never."""
    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise GankitError(f"--out {out} must end in .onnx")
    try:
        import onnx  # noqa: F401  (the exporter needs it, and onnxscript)
        import onnxscript  # noqa: F401
    except ImportError as e:
        raise GankitError(f"gankit export needs the onnx extra ({e.name} is not installed): "
                          "pip install 'gankit[onnx]'") from None
    G = load_generator(run, which, ema=ema, device="cpu")
    if G.kind == "table":
        raise GankitError(f"gankit export writes image and points generators; {run} is a table run (its G draws "
                          "categories and decodes them to the data's spellings): sample it with gankit sample --out .csv/.parquet")
    check_output(out, force=force, data=G.config.data)
    writable_folder(out.parent)
    module = DataUnitGenerator(G).eval()
    z = G.noise(4, torch.Generator().manual_seed(0))
    args: tuple = (z,) if not G.conditional else (z, G.classes(4, gen=torch.Generator().manual_seed(0)))
    names = ["z"] if not G.conditional else ["z", "c"]
    batch = torch.export.Dim("batch", min=1)
    try:
        with _exporter_hushed():
            program = torch.onnx.export(module, args, dynamo=True, input_names=names, output_names=["x"],
                                        dynamic_shapes=tuple({0: batch} for _ in args), external_data=False,
                                        verbose=False)
        model = program.model_proto
        for key, value in metadata(G).items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        blob = model.SerializeToString()
        check = self_check(blob, G)  # before writing: an unfaithful export never takes out's place
    except GankitError:
        raise
    except Exception as e:  # the exporter's own failures: say which net and why, briefly
        raise GankitError(f"torch.onnx could not export the {G.config.model.g} generator of {run}: {brief(e)}") from None
    return write_file(out, blob), G, check


@contextlib.contextmanager
def _exporter_hushed():
    """The exporter prints its progress to stdout and logs warnings that concern other nets
    (torchvision's ops): keep both off the user's console."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def metadata(G: Generator) -> dict[str, str]:
    m = G.config.model
    return {"gankit.kind": G.kind, "gankit.shape": ",".join(map(str, G.shape)), "gankit.z_dim": str(m.z_dim),
            "gankit.prior": m.prior, "gankit.prior_note": "uniform: U(-sqrt(3), sqrt(3)) per coordinate; gaussian: N(0, 1)",
            "gankit.columns": ",".join(G.columns), "gankit.conditional": str(G.conditional).lower(),
            "gankit.num_classes": str(G.num_classes), "gankit.step": str(G.step),
            "gankit.checkpoint": G.checkpoint, "gankit.weights": "G_ema" if G.ema else "G",
            "gankit.data": str(G.info.get("name", ""))}


def run_onnx(model: str | Path | bytes, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
    """Run an exported generator (a file, or the model's bytes) with onnxruntime on the CPU."""
    import onnxruntime as ort

    source = model if isinstance(model, bytes) else str(model)
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    feeds = {"z": z.numpy().astype("float32")}
    if c is not None:
        feeds["c"] = c.numpy().astype("int64")
    return torch.from_numpy(session.run(["x"], feeds)[0])


def self_check(path: Path | bytes, G: Generator, n: int = 64) -> str:
    """Compare the export with PyTorch on n draws of z; an error when they disagree."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "not checked (onnxruntime is not installed)"
    gen = torch.Generator().manual_seed(1)
    z = G.noise(n, gen)
    c = G.classes(n, gen=gen)
    diff = float((run_onnx(path, z, c) - G(z, c)).abs().max())
    if not diff <= TOLERANCE:
        raise GankitError(f"the export's samples (onnxruntime) differ from PyTorch's by up to {diff:.3g} "
                          f"(more than {TOLERANCE}); the export is not faithful, do not use it")
    return f"onnxruntime matches PyTorch to {diff:.1e} on {n} draws of z"
