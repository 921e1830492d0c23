"""GANLoss's statistics as the run log sees them."""


import torch

from gankit import config, losses
from gankit.losses import generator_loss_nonsaturating


def test_the_log_averages_each_statistic_over_all_k_discriminator_steps(tmp_path, registered):
    import json

    from helpers import CONFIGS

    from gankit.train import train

    class Counting(losses.PaperLoss):
        """The paper's loss, reporting how many D steps it has taken as its statistic."""

        def __init__(self):
            super().__init__("counting", generator_loss_nonsaturating, "")
            self.calls = 0

        def discriminator(self, D, real, fake):
            value, _ = super().discriminator(D, real, fake)
            self.calls += 1
            return losses.Objective(value, {"d_real": torch.tensor(float(self.calls)), "d_fake": torch.tensor(0.0)})

    registered(losses.LOSSES, "counting", lambda t, u: Counting())
    cfg = config.load(CONFIGS / "ring8-gan.toml", ["train.loss=counting", "train.k=3", "train.steps=2", "train.log_every=1",
                                               "train.sample_every=0", "model.g_hidden=[8]", "model.d_hidden=[8]"])
    train(cfg, tmp_path / "r", quiet=True)
    rows = [json.loads(line) for line in (tmp_path / "r" / "log.jsonl").read_text().splitlines()]
    assert [r["d_real"] for r in rows] == [2.0, 5.0]  # means of D steps 1..3 and 4..6, not the last of each
