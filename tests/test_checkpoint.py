"""Checkpoints: a damaged file is one clear error whose reason is whole sentences."""

import pytest
import torch

from gankit import checkpoint
from gankit.errors import GankitError, brief


@pytest.mark.parametrize("damage", ["truncated", "text", "nearly whole"])
def test_a_damaged_checkpoint_is_named_with_whole_sentences(tmp_path, damage):
    """Issue 16: the message cut torch's text mid-sentence ("... likelihood that your checkpoint fi")."""
    full = tmp_path / "full.pt"
    torch.save({"G": torch.zeros(1000)}, full)
    raw = full.read_bytes()
    bad = tmp_path / "bad.pt"
    bad.write_bytes({"truncated": raw[:300], "text": b"hello, this is not a checkpoint", "nearly whole": raw[:-10]}[damage])
    with pytest.raises(GankitError) as e:
        checkpoint.load(bad)
    msg = str(e.value)
    assert msg.startswith(f"{bad} is not a readable checkpoint (truncated or corrupt: ") and msg.endswith(")")
    reason = msg.split("corrupt: ", 1)[1][:-1]
    assert reason and "\n" not in reason
    if damage == "truncated":
        with pytest.raises(RuntimeError) as raw_error:
            torch.load(bad, weights_only=True)
        text = str(raw_error.value)
        assert len(text) > 200 and reason.startswith("PytorchStreamReader failed reading zip archive")
        assert text.startswith(reason) and text[len(reason)] == "."  # cut at a sentence's end


def test_brief_keeps_whole_sentences():
    text = "First part: detail. " + "A long second sentence that goes on " * 8 + "and ends.\nSecond line."
    assert brief(text) == "First part: detail"
    assert brief("short one.\nmore") == "short one."
    long_word = "x" * 300
    assert brief(long_word) == long_word  # nothing to cut at: keep it whole
