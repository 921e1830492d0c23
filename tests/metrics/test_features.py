"""Feature nets: trained to a stated accuracy, deterministic, cached; random nets for unlabelled
data; any image size; Inception weights are used only when given, and bad ones are one error."""

import json
import sys

import numpy as np
import pytest
import torch
from helpers import fashion_mnist_available

from gankit import data
from gankit.config import Config, DataConfig
from gankit.data import Dataset
from gankit.errors import GankitError
from gankit.metrics import evaluate, features

F = sys.modules["gankit.metrics.features"]  # the module (gankit.metrics.features is the function)


@pytest.fixture(scope="module")
def digits():
    return data.load(DataConfig(name="digits"))


def unlabelled(shape=(3, 50, 70), n=40, seed=0):
    x = torch.rand((n, *shape), generator=torch.Generator().manual_seed(seed))
    return Dataset(name="folder:/photos", kind="image", train=x, test=x[: n // 2])


def test_digits_net_reaches_its_stated_accuracy_and_is_cached(digits):
    net, info = F.fit(digits)
    assert info["test_accuracy"] >= F.STATED_ACCURACY["digits"]
    # An independent count of correct predictions, not the function that wrote the JSON.
    with torch.no_grad():
        correct = sum(int(net(digits.test[i:i + 1]).argmax()) == int(digits.test_labels[i]) for i in range(len(digits.test)))
    assert info["test_accuracy"] == pytest.approx(correct / len(digits.test))
    weights, info_path = F.net_paths(digits)
    assert json.loads(info_path.read_text())["test_accuracy"] == info["test_accuracy"]
    assert F.code_hash() in weights.name and "digits-1x8x8" in weights.name
    state = torch.load(weights, weights_only=True)
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())


def test_training_is_deterministic_and_leaves_the_callers_rng_alone(digits, tmp_path, monkeypatch):
    cached, _ = F.fit(digits)  # from the session cache
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    before = torch.get_rng_state()
    again, _ = F.fit(digits, force=True)
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(a, b) for a, b in zip(cached.state_dict().values(), again.state_dict().values()))


def test_a_corrupt_cached_net_is_retrained(digits, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    net, _ = F.fit(digits)
    weights, _ = F.net_paths(digits)
    weights.write_bytes(b"not a torch file")
    again, _ = F.fit(digits)
    assert "unreadable" in capsys.readouterr().err
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))


def test_cache_dir_prefers_the_config_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "env"))
    assert F.cache_dir(Config()) == tmp_path / "env"
    cfg = Config()
    cfg.metrics.feature_cache = str(tmp_path / "cfg")
    assert F.cache_dir(cfg) == tmp_path / "cfg"


def test_features_are_the_scaled_penultimate_layer_and_first_layer_means(digits):
    x = digits.test[:30]
    got = features(x, data="digits")
    net, _ = F.fit(digits)
    with torch.no_grad():  # the layers by hand
        stem = torch.relu(net.stem[0](x * 2 - 1))
        pen = net.body(stem)
        assert torch.allclose(net.head(pen), net(x))
        want = torch.cat([pen / net.block_scale[0], stem.mean((2, 3)) / net.block_scale[1]], 1)
    assert got.shape == (30, F.FEATURE_DIM) and got.dtype == np.float32
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)
    # Each block has unit RMS spread over the training images it was calibrated on.
    train = torch.from_numpy(features(digits.train, data="digits")).double()
    for block in (train[:, :F.PENULTIMATE_DIM], train[:, F.PENULTIMATE_DIM:]):
        assert (block - block.mean(0)).pow(2).sum(1).mean().sqrt().item() == pytest.approx(1, rel=1e-4)


def test_unlabelled_images_of_any_size_get_a_named_random_net():
    ds = unlabelled()
    fx = F.extractor(ds)
    assert "random" in fx.name and "not Inception" in fx.name
    a = fx.extract(ds.train)
    b = F.extractor(ds).extract(ds.train)
    assert a.shape == (40, F.FEATURE_DIM) and torch.equal(a, b)  # fixed seed: same net each time
    big = unlabelled(shape=(1, 300, 200), n=4)  # larger than MAX_SIDE: pooled down first
    assert F.extractor(big).extract(big.train).shape == (4, F.FEATURE_DIM)
    out = evaluate(ds.train, data=ds, metrics=["fd", "prdc"])
    assert out["fd"] >= 0 and "random" in out["feature_net"]


def test_points_data_and_unlabelled_classes_are_refused():
    ring = data.load(DataConfig(name="ring8"))
    with pytest.raises(GankitError, match="image data"):
        evaluate(ring.train[:100], data=ring, metrics=["fd"])
    ds = unlabelled()
    with pytest.raises(GankitError, match="no class labels"):
        evaluate(ds.train, data=ds, metrics=["classes"])


def inception_config(path):
    cfg = Config()
    cfg.metrics.inception_weights = str(path)
    return cfg


def test_missing_or_corrupt_inception_weights_are_one_clear_error(digits, tmp_path):
    x = digits.test[:20]
    bad = {
        "missing": tmp_path / "nope.pth",
        "corrupt": tmp_path / "corrupt.pth",
        "truncated": tmp_path / "truncated.pth",
        "not inception": tmp_path / "other.pth",
    }
    bad["corrupt"].write_bytes(b"\x00garbage" * 100)
    torch.save({"Conv2d_1a_3x3.conv.weight": torch.zeros(3)}, bad["truncated"])
    bad["truncated"].write_bytes(bad["truncated"].read_bytes()[:50])
    torch.save({"w": torch.zeros(3)}, bad["not inception"])
    for what, path in bad.items():
        with pytest.raises(GankitError, match="metrics.inception_weights") as e:
            evaluate(x, data=digits, metrics=["fd"], config=inception_config(path))
        assert str(path.name) in str(e.value), what
        assert "never downloads" in str(e.value)


def test_inception_weights_without_torch_fidelity_say_how_to_get_it(digits, tmp_path, monkeypatch):
    import torchmetrics.utilities.imports as tm_imports

    path = tmp_path / "inception.pth"
    torch.save({k: torch.zeros(1) for k in F.INCEPTION_KEYS}, path)
    monkeypatch.setattr(tm_imports, "_TORCH_FIDELITY_AVAILABLE", False)
    with pytest.raises(GankitError, match=r"gankit\[fid\]"):
        evaluate(digits.test[:20], data=digits, metrics=["fd"], config=inception_config(path))


@pytest.mark.slow
@pytest.mark.skipif(not fashion_mnist_available(), reason="Fashion-MNIST not installed")
def test_fashion_mnist_net_reaches_its_stated_accuracy():
    ds = data.load(DataConfig(name="fashion-mnist"))
    net, info = F.fit(ds)  # trained once per test session (the session cache), then loaded
    assert info["test_accuracy"] >= F.STATED_ACCURACY["fashion-mnist"]
    pred = F.predict(net, ds.test)
    assert float((pred == ds.test_labels).double().mean()) == pytest.approx(info["test_accuracy"])


def test_feature_net_cache_key_ignores_comments_docstrings_and_layout():
    from gankit.metrics.features import code_hash, source_key

    a = "def f(x):\n    return x + 1\n"
    b = 'def f(x):\n    """Add one."""\n    # a comment\n\n    return (x +\n            1)  # trailing\n'
    c = "def f(x):\n    return x + 2\n"
    assert source_key(a) == source_key(b) and source_key(a) != source_key(c)
    assert len(code_hash()) == 12


def test_the_feature_net_is_chosen_by_labels_and_size_and_named_in_every_result(digits, tmp_path):
    many = unlabelled(shape=(3, 16, 16), n=F.MIN_CONTRASTIVE + 6)
    few = unlabelled(shape=(3, 16, 16), n=F.MIN_CONTRASTIVE - 1)
    assert F.choose(digits) == "classifier" and F.choose(many) == "contrastive" and F.choose(few) == "random"
    assert F.choose(digits, "random") == "random" and F.choose(digits, "contrastive") == "contrastive"
    with pytest.raises(GankitError, match='feature_net = "classifier" needs class labels.*sub-folder per class'):
        F.choose(many, "classifier")
    with pytest.raises(GankitError, match="config key metrics.feature_net unknown feature net 'inception'"):
        from gankit import config

        config.load(None, ["metrics.feature_net=inception"])
    assert "(untrained, fewer than 64 images to learn from, not Inception)" in F.extractor(few).name
    cfg = Config()
    cfg.metrics.feature_net = "random"
    assert F.extractor(many, cfg).name == "gankit-random-cnn-seed0-3x16x16 (untrained, not Inception)"
    assert evaluate(digits.test[:50], data=digits, metrics=["fd"], config=cfg)["feature_net"].startswith("gankit-random")


def test_a_folder_with_class_sub_folders_gets_its_classifier_and_a_flat_one_its_contrastive_net(tmp_path, monkeypatch):
    from PIL import Image

    # The choice and the names, not the quality: a few training steps of each net.
    monkeypatch.setattr(F, "CONTRASTIVE_STEPS", (3, 3))
    monkeypatch.setattr(F, "MIN_STEPS", 3)
    monkeypatch.setattr(F, "MIN_EPOCHS", 1)
    rng = np.random.default_rng(0)
    flat = tmp_path / "flat"
    flat.mkdir()
    for k, tint in enumerate([(1, 0.2, 0.2), (0.2, 1, 0.2), (0.2, 0.2, 1)]):
        (tmp_path / "by-class" / f"c{k}").mkdir(parents=True)
        for i in range(40):
            px = (rng.random((12, 12, 3)) * np.array(tint) * 255).astype(np.uint8)
            Image.fromarray(px).save(tmp_path / "by-class" / f"c{k}" / f"{i}.png")
            (flat / f"c{k}-{i}.png").symlink_to(tmp_path / "by-class" / f"c{k}" / f"{i}.png")
    labelled = data.load(DataConfig(name=f"folder:{tmp_path / 'by-class'}", size=12))
    assert labelled.num_classes == 3
    name = F.extractor(labelled).name
    assert name.startswith(f"gankit-cnn-folder:{tmp_path / 'by-class'}-3x12x12 (test accuracy") and "not Inception" in name
    ds = data.load(DataConfig(name=f"folder:{flat}", size=12))  # the same images, no classes
    assert ds.num_classes == 0 and ds.fingerprint != labelled.fingerprint
    fx = F.extractor(ds)
    assert fx.name == (f"gankit-contrastive-folder:{flat}-3x12x12-{ds.fingerprint[:8]}-{F.contrastive_code_hash()[:8]} "
                       f"(self-supervised on its {len(ds.train)} training images, not Inception)")
    out = evaluate(ds.test, data=ds, metrics=["fd", "kid", "prdc"])
    assert out["feature_net"] == fx.name
