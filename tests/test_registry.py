"""Registries by name: duplicates refused, names listed, unknown names named with their key, and
third-party additions through entry points (tests/plugin_example/, installed as pip would)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CONFIGS, TESTS

from gankit import data, losses, metrics, nets
from gankit.config import DataConfig, ModelConfig, TrainConfig
from gankit.errors import GankitError
from gankit.registry import DuplicateName, Registry


def test_a_registry_keeps_lists_and_refuses_a_second_entry_under_a_name():
    r = Registry("widget", check=lambda e: None if isinstance(e, int) else "a widget is an int")
    assert r.register("b", 2) == 2 and r.register("a", 1) == 1
    assert r.names() == ["a", "b"] and "a" in r and "c" not in r and len(r) == 2
    with pytest.raises(DuplicateName, match="'a' is already registered"):
        r.register("a", 3)
    assert r.get("a") == 1  # the first registration stands
    with pytest.raises(TypeError, match="a widget is an int"):
        r.register("c", "three")
    for bad in ("", " a", None):
        with pytest.raises(DuplicateName):
            r.register(bad, 4)
    with pytest.raises(GankitError, match=r"^config key model\.widget: unknown widget 'zz'; one of: a, b$"):
        r.get("zz", "model.widget")
    with pytest.raises(GankitError, match=r"^unknown widget 'zz'; one of: a, b$"):
        r.get("zz")


# Every registry of gankit's, a name it already holds, and an entry of the right type.
REGISTRIES = {
    "nets": (lambda: nets.register_net("mlp", generator=lambda *a: None), nets.NETS, "mlp"),
    "losses": (lambda: losses.register_loss("hinge", lambda t, u: None), losses.LOSSES, "hinge"),
    "data": (lambda: data.register("ring8", lambda c: None, lambda c: None), data.SOURCES, "ring8"),
    "data prefixes": (lambda: data.register("csv:", lambda c: None, lambda c: None), data.SOURCES, "csv:"),
    "metrics": (lambda: metrics.register_metric("fd")(lambda ctx: {}), metrics.METRICS, "fd"),
    "priors": (lambda: nets.PRIORS.register("gaussian", lambda n, d, g: None), nets.PRIORS, "gaussian"),
    "activations": (lambda: nets.ACTIVATIONS.register("relu", object), nets.ACTIVATIONS, "relu"),
}


@pytest.mark.parametrize("which", sorted(REGISTRIES))
def test_every_registry_refuses_a_duplicate_and_keeps_the_first(which):
    again, registry, name = REGISTRIES[which]
    before = registry.get(name)
    with pytest.raises(DuplicateName, match=f"'{name}' is already registered"):
        again()
    assert registry.get(name) is before


def test_every_registry_lists_its_names_for_help_and_errors():
    assert {"mlp", "maxout", "paper-mnist", "conv"} <= set(nets.NETS.names())
    assert "maxout" in nets.discriminator_names() and "maxout" not in nets.generator_names()
    assert {"minimax", "nonsaturating", "wgan-gp", "hinge", "lsgan", "rpgan"} <= set(losses.names())
    assert {"ring8", "fashion-mnist", "csv:PATH", "folder:PATH"} <= set(data.names())
    assert {"fd", "kid", "modes", "parzen"} <= set(metrics.names())
    help_text = subprocess.run([sys.executable, "-m", "gankit", "train", "--help"], capture_output=True, text=True).stdout
    for key, name in [("model.g", "paper-mnist"), ("model.d", "maxout"), ("train.loss", "rpgan"), ("data.name", "csv:PATH"),
                      ("model.prior", "gaussian"), ("model.activation", "leaky_relu")]:
        line = next(line for line in help_text.splitlines() if line.strip().startswith(key + " "))
        assert name in line


def test_a_wrong_name_is_an_error_that_names_the_key_and_lists_the_names():
    with pytest.raises(GankitError, match=r"config key model\.d: unknown net 'stylegan9'; one of: conv, dcgan, light, maxout, mlp"):
        nets.build_discriminator(_model(d="stylegan9"), (2,), "points")
    with pytest.raises(GankitError, match=r"config key model\.g: the net 'maxout' has no generator; one of: conv, dcgan, light, mlp"):
        nets.build_generator(_model(g="maxout"), (2,), "points")
    with pytest.raises(GankitError, match=r"config key train\.loss: unknown loss 'w'"):
        losses.build(_train(loss="w"))
    with pytest.raises(GankitError, match=r"unknown data set 'nosuch' .*ring8"):
        data.load(DataConfig(name="nosuch"))


def _model(**kw):
    return ModelConfig(**kw)


def _train(**kw):
    return TrainConfig(**kw)


# --- third-party entries, through entry points ----------------------------------------------------

def install(site: Path, entry_points: str, module: Path | None = TESTS / "plugin_example" / "gankit_example_plugin.py") -> dict:
    """Install a distribution into `site` the way pip lays one out: its module, and a dist-info
    folder whose entry_points.txt importlib.metadata reads. Returns the environment to run with it."""
    site.mkdir(parents=True, exist_ok=True)
    if module is not None:
        shutil.copy(module, site / module.name)
    info = site / "gankit_example_plugin-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gankit-example-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def gankit(env: dict, *args, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "gankit", *map(str, args)], capture_output=True, text=True, env=env)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_a_plugins_net_loss_data_and_metric_train_sample_and_evaluate(tmp_path):
    env = install(tmp_path / "site", (TESTS / "plugin_example" / "entry_points.txt").read_text())
    listed = gankit(env, "train", "--help").stdout
    assert "tiny" in listed and "softplus-hinge" in listed and "spiral" in listed
    run = tmp_path / "run"
    gankit(env, "train", "--config", CONFIGS / "ring8-gan.toml", "--set", "data.name=spiral", "--set", "model.g=tiny",
           "--set", "model.d=tiny", "--set", "train.loss=softplus-hinge", "--set", "train.steps=40", "--set", "train.batch_size=64",
           "--set", "train.log_every=20", "--set", "train.sample_every=0", "--out", run)
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [20, 40] and all(r["loss_d"] == r["loss_d"] for r in rows)
    gankit(env, "sample", run, "--n", "50", "--out", tmp_path / "s.npy")
    import numpy as np

    assert np.load(tmp_path / "s.npy").shape == (50, 2)
    result = json.loads(gankit(env, "evaluate", run, "--metrics", "radius", "--n", "500").stdout)
    assert result["mean_radius"] > 0 and result["n_samples"] == 500
    assert "spiral" in gankit(env, "datasets").stdout
    # Without the plugin installed, the run's names are unknown again, and the error says which key.
    p = gankit({**os.environ}, "sample", run, "--n", "5", "--out", tmp_path / "t.npy", check=False)
    assert p.returncode == 2 and "unknown" in p.stderr and p.stderr.count("\n") == 1


def test_a_plugin_that_fails_to_load_is_one_line_naming_its_entry_point(tmp_path):
    env = install(tmp_path / "site", "[gankit.nets]\nbroken = no_such_module:NET\n", module=None)
    p = gankit(env, "train", "--config", CONFIGS / "ring8-gan.toml", "--set", "model.g=broken", "--out", tmp_path / "r", check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert "'no_such_module:NET'" in p.stderr and "gankit.nets" in p.stderr and "ModuleNotFoundError" in p.stderr
    assert not (tmp_path / "r").exists()
    # A listing leaves the broken entry out instead of failing: help still works.
    assert "paper-mnist" in gankit(env, "train", "--help").stdout


def test_a_plugin_that_claims_a_name_gankit_has_is_refused_naming_both(tmp_path):
    env = install(tmp_path / "site", "[gankit.losses]\nhinge = gankit_example_plugin:make_loss\n")
    p = gankit(env, "train", "--config", CONFIGS / "ring8-gan.toml", "--set", "train.loss=hinge", "--out", tmp_path / "r", check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert "taken twice" in p.stderr and "gankit.losses.hinge" in p.stderr and "gankit_example_plugin:make_loss" in p.stderr


def test_a_plugin_entry_of_the_wrong_type_is_refused(tmp_path):
    env = install(tmp_path / "site", "[gankit.nets]\nodd = gankit_example_plugin:make_loss\n")
    p = gankit(env, "train", "--config", CONFIGS / "ring8-gan.toml", "--set", "model.d=odd", "--out", tmp_path / "r", check=False)
    assert p.returncode == 2 and "NetFamily" in p.stderr and p.stderr.count("\n") == 1
