"""The streams the loop draws from: every rank takes its rows of the same global draws."""

import torch

from gankit.distributed import Rank
from gankit.train.streams import Batches, Noise, Uniform


def test_batches_cover_each_epoch_once_and_position_is_the_whole_state():
    data = torch.arange(10).float().unsqueeze(1)
    b = Batches(data, seed=3)
    first = torch.cat([b.next(3) for _ in range(3)] + [b.next(1)]).squeeze(1)
    assert sorted(first.tolist()) == list(range(10))  # one epoch, without replacement
    later = b.next(7)
    b2 = Batches(data, seed=3, position=10)
    assert torch.equal(b2.next(7), later)


def test_two_ranks_together_draw_what_one_process_draws():
    data, labels = torch.randn(50, 3), torch.arange(50)
    one = Batches(data, seed=1, labels=labels)
    ranks = [Batches(data, seed=1, labels=labels, rank=Rank(r, 2)) for r in (0, 1)]
    for _ in range(7):  # crosses epoch boundaries (7 × 8 > 50)
        whole = one.next_labelled(8)
        parts = [b.next_labelled(8) for b in ranks]
        assert torch.equal(torch.cat([p.x for p in parts]), whole.x)
        assert torch.equal(torch.cat([p.c for p in parts]), whole.c)
        assert torch.equal(whole.x, data[whole.c])  # labels travel with their examples
    assert all(b.position == one.position for b in ranks)
    noise = Noise("gaussian", 4, seed=2, device=torch.device("cpu"), num_classes=10)
    rank_noise = [Noise("gaussian", 4, seed=2, device=torch.device("cpu"), rank=Rank(r, 2), num_classes=10) for r in (0, 1)]
    whole = noise.labelled(6)
    parts = [n.labelled(6) for n in rank_noise]
    assert torch.equal(torch.cat([p.x for p in parts]), whole.x)
    assert torch.equal(torch.cat([p.c for p in parts]), whole.c) and whole.c.max() < 10
    assert Noise("uniform", 4, seed=2, device=torch.device("cpu")).labelled(5).c is None


def test_a_losss_uniform_draws_are_the_global_batchs_rows_and_restore_from_their_state():
    like = torch.zeros(1)
    one, ranks = Uniform(seed=3), [Uniform(seed=3, rank=Rank(r, 2)) for r in (0, 1)]
    for _ in range(3):
        whole = one(6, like)
        assert torch.equal(torch.cat([u(3, like) for u in ranks]), whole)
        assert whole.shape == (6,) and ((0 <= whole) & (whole < 1)).all()
    state = one.gen.get_state()
    after = one(6, like)
    again = Uniform(seed=99)
    again.gen.set_state(state)
    assert torch.equal(again(6, like), after)
