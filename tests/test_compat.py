"""gankit 0.1's import paths and checkpoints still work in 0.2: an old path imports the module it
moved to, with a DeprecationWarning naming the new one; runs written by gankit 0.1 (commit
ed90865, tests/fixtures/gankit-0.1/README.md) load, sample the same numbers and resume."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import TESTS

import gankit
import gankit.config
import gankit.metrics
from gankit.train import train

FIXTURES = TESTS / "fixtures" / "gankit-0.1"


@pytest.mark.parametrize("old", sorted(gankit.MOVED))
def test_an_old_import_path_gives_the_new_module_and_says_where_it_went(old):
    new = gankit.MOVED[old]
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=rf"{old} moved to {' and '.join(new)}"):
        module = importlib.import_module(old)
    if len(new) == 1:
        assert module is importlib.import_module(new[0])
    else:  # gankit.plots: its names come from both halves
        halves = [importlib.import_module(n) for n in new]
        for half in halves:
            name = next(n for n in vars(half) if callable(getattr(half, n)) and not n.startswith("_")
                        and getattr(getattr(half, n), "__module__", "") == half.__name__)
            assert getattr(module, name) is getattr(half, name)


def test_the_warning_points_at_the_importing_line():
    code = ("import warnings; warnings.simplefilter('error')\n"
            "try:\n    import gankit.streams\nexcept DeprecationWarning as w:\n    print(w)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "gankit.streams moved to gankit.train.streams" in out.stdout
    p = subprocess.run([sys.executable, "-W", "always", "-c", "import gankit.streams"], capture_output=True, text=True)
    assert p.stderr.startswith("<string>:1: DeprecationWarning"), p.stderr  # the user's line, not importlib's


def test_old_names_in_packages_that_kept_their_name():
    from gankit.bench import speed
    from gankit.paper import table1

    with pytest.warns(DeprecationWarning, match="gankit.paper.table1.format_table"):
        assert gankit.paper.format_table is table1.format_table
    with pytest.warns(DeprecationWarning, match="gankit.bench.speed.write_sections"):
        assert gankit.bench.write_sections is speed.write_sections
    # The public API did not move at all.
    assert callable(gankit.config.load) and callable(gankit.metrics.evaluate) and callable(gankit.train.train)
    assert gankit.load_generator is gankit.sampling.load_generator
    for module, names in {"nets": ["build_generator", "build_discriminator", "sample_noise", "Packed", "MinibatchStd",
                                   "ProjectionDiscriminator", "ConvGenerator", "MLPDiscriminator", "Dropout", "MaskSource"],
                          "losses": ["register_loss", "get", "build", "names", "Examples", "GANLoss", "PaperLoss",
                                     "discriminator_loss", "generator_loss_minimax", "generator_loss_nonsaturating"],
                          "data": ["register", "load", "probe", "listing", "names", "Dataset", "Probe"],
                          "metrics": ["evaluate", "evaluate_each", "register_metric", "names", "info", "meaning",
                                      "frechet_distance", "kernel_distance", "prdc", "TINY_REFERENCE"],
                          "train": ["train", "fit", "Session", "TrainResult", "Batches", "Noise"],
                          "sampling": ["load_generator", "generate", "sample", "Generator", "generator_from_state"],
                          "distributed": ["Rank", "SINGLE", "unwrap", "wrap", "GlobalBatchNorm", "AgreedError", "process_group"],
                          "report": ["write_report", "render"]}.items():
        package = importlib.import_module(f"gankit.{module}")
        assert all(hasattr(package, n) for n in names), (module, [n for n in names if not hasattr(package, n)])


# --- runs written by gankit 0.1 -------------------------------------------------------------------

RUNS = sorted(p.name for p in FIXTURES.iterdir() if (p / "checkpoints" / "latest.pt").is_file())


def test_the_fixtures_are_there():
    assert RUNS == ["digits-cond-conv", "digits-maxout-sn", "ring8-pack-ema"]


@pytest.mark.parametrize("name", RUNS)
def test_a_checkpoint_from_before_the_move_loads_samples_and_resumes(tmp_path, name):
    run = tmp_path / name
    shutil.copytree(FIXTURES / name, run)
    state = torch.load(run / "checkpoints" / "latest.pt", weights_only=True)
    # Samples: the numbers gankit 0.1 drew from this checkpoint (a few float roundings apart when
    # this CPU's kernels differ from the one that wrote them).
    G = gankit.load_generator(run)
    expected = np.load(run / "expected-samples.npy")
    # gankit 0.1 drew `G(8, seed=0)` as z, then classes, from one generator seeded 0; since issue 25
    # a seed's samples come in blocks (sample i depends only on seed and i), so that z is drawn by
    # hand here: the same z through the loaded weights gives gankit 0.1's numbers.
    gen = torch.Generator().manual_seed(0)
    z = G.noise(8, gen)
    c = torch.randint(G.num_classes, (8,), generator=gen) if G.conditional else None
    assert np.allclose(G(z, c).numpy(), expected, rtol=1e-4, atol=1e-5)
    subprocess.run([sys.executable, "-m", "gankit", "sample", str(run), "--n", "8", "--out", str(tmp_path / "s.npy")], check=True)
    assert np.array_equal(np.load(tmp_path / "s.npy"), G.draw(8, seed=0))
    # Resume: five more steps end where gankit 0.1's resume of the same checkpoint ended.
    result = train(None, resume=run, overrides=[f"train.steps={int(state['step']) + 5}"], quiet=True)
    weights = torch.cat([p.detach().flatten() for p in result.G.state_dict().values() if p.is_floating_point()]).numpy()
    assert result.step == int(state["step"]) + 5
    assert np.allclose(weights, np.load(run / "expected-resumed-G.npy"), rtol=1e-4, atol=1e-5)


def test_a_numeric_csv_run_from_before_tables_loads_samples_evaluates_and_resumes(tmp_path):
    """csv:PATH was numbers only, standardized (gankit 0.2 at 3e8271d; tests/fixtures/gankit-0.2/make.py):
    such a run still samples the same numbers, and resumes through the old reader."""
    fixture = TESTS / "fixtures" / "gankit-0.2"
    data = Path("/tmp/gankit-0.2-fixture")
    data.mkdir(parents=True, exist_ok=True)
    shutil.copy(fixture / "numbers.csv", data / "numbers.csv")  # where the run's config says its data is
    run = tmp_path / "csv-numeric"
    shutil.copytree(fixture / "csv-numeric", run)
    G = gankit.load_generator(run)
    expected = np.load(run / "expected-samples.npy")
    assert G.kind == "points" and G.columns == ["height", "weight"]
    # gankit 0.2 drew `G(8, seed=0)` from one generator seeded 0; since issue 25 a seed's samples
    # come in blocks, so that z is drawn by hand: through the loaded weights it gives 0.2's numbers.
    z = G.noise(8, torch.Generator().manual_seed(0))
    assert np.allclose(G(z).numpy(), expected, rtol=1e-4, atol=1e-5)
    subprocess.run([sys.executable, "-m", "gankit", "sample", str(run), "--n", "8", "--out", str(tmp_path / "s.csv")],
                   check=True)
    assert np.allclose(np.loadtxt(tmp_path / "s.csv", delimiter=",", skiprows=1), G.draw(8, seed=0), rtol=1e-6, atol=1e-4)
    from gankit.metrics.runs import evaluate_run

    assert 0 <= evaluate_run(run, "ks", n=200)["ks_max"] <= 1  # scored against the data read the old way
    result = train(None, resume=run, overrides=["train.steps=25"], quiet=True)
    weights = torch.cat([p.detach().flatten() for p in result.G.state_dict().values() if p.is_floating_point()]).numpy()
    assert result.step == 25 and np.allclose(weights, np.load(run / "expected-resumed-G.npy"), rtol=1e-4, atol=1e-5)
