"""The feature net an unlabelled folder learns from itself: the two-views loss against a slow
loop, the views, training that is seeded, cached by content and leaves the caller's RNG alone,
and, on a real folder of colour images, features that rank real > blurred > noise."""

from __future__ import annotations

import math
import sys

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import emoji_folder

from gankit import data
from gankit.config import Config, DataConfig
from gankit.data import Dataset, pixels
from gankit.metrics import contrastive, evaluate
from gankit.metrics.fd import frechet_distance

F = sys.modules["gankit.metrics.features"]


def test_nt_xent_is_the_cross_entropy_of_picking_each_views_partner():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    z = [v / v.norm() for v in torch.cat([a, b])]
    total = 0.0
    for i in range(10):  # by hand: -log softmax of the partner over the 9 other views
        partner = (i + 5) % 10
        logits = {j: float(z[i] @ z[j]) / 0.2 for j in range(10) if j != i}
        total += -(logits[partner] - math.log(sum(math.exp(v) for v in logits.values())))
    assert float(contrastive.nt_xent(a, b, 0.2)) == pytest.approx(total / 10, rel=1e-5)


def test_views_are_seeded_crops_and_a_whole_image_view_is_the_image_or_its_mirror(monkeypatch):
    x = torch.rand(6, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    one = contrastive.views(x, torch.Generator().manual_seed(5), 8)
    assert one.shape == (6, 3, 8, 8) and 0 <= float(one.min()) and float(one.max()) <= 1
    assert torch.equal(one, contrastive.views(x, torch.Generator().manual_seed(5), 8))
    assert not torch.equal(one, contrastive.views(x, torch.Generator().manual_seed(6), 8))
    monkeypatch.setattr(contrastive, "CROP_AREA", (1.0, 1.0))
    monkeypatch.setattr(contrastive, "ASPECT", (1.0, 1.0))
    monkeypatch.setattr(contrastive, "JITTER", 0.0)
    monkeypatch.setattr(contrastive, "GRAY_P", 0.0)
    whole = contrastive.views(x, torch.Generator().manual_seed(0), 16)
    mirrored = [torch.allclose(v, x[i].flip(-1), atol=1e-5) for i, v in enumerate(whole)]
    same = [torch.allclose(v, x[i], atol=1e-5) for i, v in enumerate(whole)]
    assert all(m or s for m, s in zip(mirrored, same)) and any(mirrored) and any(same)


def folder_set(n=96, side=12, seed=0, fingerprint="f" * 32):
    x = (torch.rand(n, 3, side, side, generator=torch.Generator().manual_seed(seed)) * 255).to(torch.uint8)
    return Dataset(name="folder:/photos", kind="image", train=x[: n - 10], test=x[n - 10:], fingerprint=fingerprint)


def test_training_is_seeded_cached_by_content_and_leaves_the_callers_rng_alone(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(F, "CONTRASTIVE_STEPS", (4, 4))
    ds = folder_set()
    before = torch.get_rng_state()
    net, info = F.fit_contrastive(ds)
    assert torch.equal(torch.get_rng_state(), before)
    assert info["kind"] == "contrastive" and info["images"] == 86 and info["steps"] == 4 and info["final_loss"] > 0
    weights, _ = F.net_paths(ds, None, "contrastive", F.contrastive_code_hash())
    assert weights.is_file() and ds.fingerprint[:12] in weights.name

    capsys.readouterr()
    cached, _ = F.fit_contrastive(ds)
    assert "learning features" not in capsys.readouterr().err  # loaded, not trained again
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), cached.state_dict().values()))
    again, _ = F.fit_contrastive(ds, force=True)  # the same net from scratch: seeded
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))
    other, _ = F.fit_contrastive(folder_set(seed=1, fingerprint="e" * 32))  # another folder, another net
    assert not torch.equal(other.stem[0].weight, net.stem[0].weight)
    assert len(list(tmp_path.glob("contrastive-*.pt"))) == 2


def test_too_few_images_to_learn_from_is_one_error():
    from gankit.errors import GankitError

    with pytest.raises(GankitError, match="fewer than the 64 a contrastive feature net needs"):
        F.fit_contrastive(folder_set(n=40))


@pytest.fixture(scope="module")
def emoji():
    """The 3,786 Twemoji PNGs `make setup` fetches: a real folder of colour images."""
    folder = emoji_folder()
    if folder is None:
        pytest.skip("the Twemoji folder is not fetched (gankit datasets --fetch emoji-twitter; make setup does)")
    return data.load(DataConfig(name=f"folder:{folder}", size=64))


def test_features_fit_trains_the_contrastive_net_of_an_unlabelled_folder(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from gankit.cli import main

    monkeypatch.setattr(F, "CONTRASTIVE_STEPS", (2, 2))
    rng = np.random.default_rng(0)
    for i in range(70):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    assert main(["features", "fit", "--data", f"folder:{tmp_path}", "--set", "data.size=8"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == "contrastive" and info["images"] == 64 and info["steps"] == 2
    assert main(["features", "fit", "--data", f"folder:{tmp_path}", "--set", "metrics.feature_net=random"]) == 2
    assert "nothing to fit" in capsys.readouterr().err


@pytest.mark.slow
def test_learnt_features_rank_real_over_blurred_over_noise_on_a_real_folder(emoji, monkeypatch):
    """Trained on the folder's 3,408 training images for 120 steps (a third of the shipped budget,
    to keep the test short), held-out images score closest to the training images, the same images
    blurred (5x5 box filter) further, uniform noise furthest."""
    monkeypatch.setattr(F, "CONTRASTIVE_STEPS", (120, 120))
    fx = F.extractor(emoji, Config())
    assert fx.name.startswith("gankit-contrastive-folder:") and "self-supervised on its 3408 training images" in fx.name
    train = pixels(emoji.train[:1500].clone())
    held = pixels(torch.cat([emoji.val, emoji.test]).clone())
    blurred = TF.avg_pool2d(TF.pad(held, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    noise = torch.rand(held.shape, generator=torch.Generator().manual_seed(0))
    ref = fx.extract(train)
    fd = {k: frechet_distance(ref, fx.extract(v)) for k, v in (("real", held), ("blurred", blurred), ("noise", noise))}
    assert fd["real"] < fd["blurred"] < fd["noise"], fd
    assert fd["blurred"] > 1.5 * fd["real"] and fd["noise"] > 10 * fd["blurred"], fd
    # evaluate names the same net and agrees in ranking (its reference is the test split)
    real = evaluate(emoji.val, data=emoji, metrics=["fd"])
    blur = evaluate(TF.avg_pool2d(TF.pad(pixels(emoji.val.clone()), (2, 2, 2, 2), mode="replicate"), 5, stride=1),
                    data=emoji, metrics=["fd"])
    assert real["feature_net"] == blur["feature_net"] == fx.name and real["fd"] < blur["fd"]
