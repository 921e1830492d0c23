"""The augmentation's random stream: drawn for the global batch, sliced per process."""

import torch

from gankit.augment import Augment, Draws
from gankit.distributed.group import Rank


def test_p_processes_augment_their_rows_as_one_process_augments_the_whole_batch():
    x = torch.rand(8, 3, 16, 16)
    names = ["translation", "color", "cutout", "ada"]
    whole = Augment(names, Draws(3, 11), p=0.7)(x)
    parts = [Augment(names, Draws(3, 11, Rank(r, 2)), p=0.7, rank=Rank(r, 2))(x[4 * r:4 * r + 4]) for r in (0, 1)]
    assert torch.allclose(torch.cat(parts), whole, atol=1e-6)


def test_the_stream_resumes_from_its_state():
    a = Draws(0, 1)
    a.uniform(4, like=torch.zeros(1))
    b = Draws(0, 1)
    b.gen.set_state(a.gen.get_state())
    like = torch.zeros(1)
    assert torch.equal(a.uniform(4, 2, like=like), b.uniform(4, 2, like=like))
    assert torch.equal(a.normal(3, like=like), b.normal(3, like=like))
    assert torch.equal(a.integers(5, -2, 3, like=like), b.integers(5, -2, 3, like=like))
