"""The hinge loss against its formula on values computed by hand."""


import pytest

from gankit import losses


def test_hinge_margins_by_hand(identity_d, batch):
    loss = losses.get("hinge")
    real, fake = batch(2.0, 0.5, -1.0), batch(-2.0, 0.0, 0.5)
    value, stats = loss.discriminator(identity_d, real, fake)
    # real: max(0, 1 - s) = 0, 0.5, 2; fake: max(0, 1 + s) = 0, 1, 1.5 -> 2.5/3 + 2.5/3
    assert value.item() == pytest.approx(5 / 3)
    assert stats["d_real"].item() == pytest.approx(0.5) and stats["d_fake"].item() == pytest.approx(-0.5)
    g, _ = loss.generator(identity_d, fake, real)
    assert g.item() == pytest.approx(0.5)  # -E D(G(z))
    # Scores beyond the margins cost D nothing.
    assert loss.discriminator(identity_d, batch(1.0, 3.0), batch(-1.0, -7.0)).loss.item() == 0
