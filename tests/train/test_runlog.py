"""What a run reports: sample pictures reach TensorBoard beside the scalars."""

from helpers import CONFIGS

from gankit import config
from gankit.train import train


def test_sample_grids_are_tensorboard_images(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = config.load(CONFIGS / "digits.toml", ["train.steps=20", "train.sample_every=10", "train.log_every=10",
                                                "train.checkpoint_every=10", "threads=1"])
    train(cfg, tmp_path / "r", quiet=True)
    acc = EventAccumulator(str(tmp_path / "r" / "tensorboard"), size_guidance={"images": 0}).Reload()
    assert "loss_d" in acc.Tags()["scalars"] and "samples" in acc.Tags()["images"]
    images = acc.Images("samples")
    assert [e.step for e in images][:2] == [10, 20] and images[0].width > 8 and images[0].height > 8
