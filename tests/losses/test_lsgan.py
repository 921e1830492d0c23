"""The least-squares loss against its formula on values computed by hand."""


import pytest

from gankit import losses


def test_least_squares_targets_are_a0_b1_c1(identity_d, batch):
    loss = losses.get("lsgan")
    assert loss.discriminator(identity_d, batch(1.0, 1.0), batch(0.0, 0.0)).loss.item() == 0  # D at its targets
    assert loss.generator(identity_d, batch(1.0), batch(0.0)).loss.item() == 0  # G's target c = 1
    value, _ = loss.discriminator(identity_d, batch(3.0, 0.0), batch(2.0, -1.0))
    assert value.item() == pytest.approx(0.5 * (4 + 1) / 2 + 0.5 * (4 + 1) / 2)
    assert loss.generator(identity_d, batch(3.0, -1.0), batch(0.0)).loss.item() == pytest.approx(0.5 * (4 + 4) / 2)
