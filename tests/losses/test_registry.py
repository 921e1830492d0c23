"""The losses' registry: every loss by name, duplicates refused, each trains end to end."""

import math

import pytest
import torch

from gankit import config, losses
from gankit.errors import GankitError


def test_losses_are_registered_pairs_and_a_duplicate_name_is_refused():
    assert {"minimax", "nonsaturating", "wgan-gp", "hinge", "lsgan", "rpgan"} <= set(losses.names())
    with pytest.raises(ValueError, match="already registered"):
        losses.register_loss("minimax", lambda t, u: losses.PaperLoss("minimax", losses.generator_loss_minimax, ""))
    with pytest.raises(GankitError, match="unknown loss 'nope'"):
        losses.get("nope")


@pytest.mark.parametrize("name", ["minimax", "nonsaturating", "wgan-gp", "hinge", "lsgan", "rpgan"])
def test_every_loss_reports_d_real_and_d_fake_and_has_a_hint(name):
    loss = losses.get(name)
    D = torch.nn.Linear(2, 1)
    _, stats = loss.discriminator(lambda x: D(x).squeeze(-1), losses.Examples(torch.randn(4, 2)),
                                  losses.Examples(torch.randn(4, 2)))
    assert {"d_real", "d_fake"} <= stats.keys() and set(stats) == set(loss.stats)
    assert loss.hint and "optim" in loss.hint or "train." in loss.hint


@pytest.mark.parametrize("sets", [
    ["train.loss=minimax"], ["train.loss=wgan-gp", "train.k=2"], ["train.loss=hinge", "model.spectral_norm=true"],
    ["train.loss=lsgan"], ["train.loss=rpgan", "train.r1_gamma=0.1", "train.r2_gamma=0.1"],
    ["train.loss=nonsaturating", "train.r1_gamma=1"],
])
def test_each_loss_trains_end_to_end_and_logs_its_statistics(tmp_path, sets):
    import json

    from helpers import CONFIGS

    from gankit.train import train

    cfg = config.load(CONFIGS / "ring8-gan.toml", sets + ["train.steps=6", "train.log_every=3", "train.sample_every=0",
                                                      "train.batch_size=16", "model.g_hidden=[8]", "model.d_hidden=[8]"])
    train(cfg, tmp_path / "r", quiet=True)
    rows = [json.loads(line) for line in (tmp_path / "r" / "log.jsonl").read_text().splitlines()]
    expected = set(losses.build(cfg.train).stats)
    assert len(rows) == 2 and all(expected <= row.keys() for row in rows)
    assert all(math.isfinite(row[k]) for row in rows for k in expected | {"loss_d", "loss_g"})
