"""The relativistic pairing loss against its formula on values computed by hand."""

import math

import pytest

from gankit import losses


def _softplus(t):
    return math.log1p(math.exp(t))


def test_relativistic_pairing_on_hand_values(identity_d, batch):
    loss = losses.get("rpgan")  # no penalties by default
    real, fake = batch(1.0, 2.0), batch(0.0, 3.0)
    value, stats = loss.discriminator(identity_d, real, fake)
    # D: E softplus(D(G(z)) - D(x)) over the pairs (1, 0) and (2, 3)
    assert value.item() == pytest.approx((_softplus(-1) + _softplus(1)) / 2)
    g, _ = loss.generator(identity_d, fake, real)  # G: E softplus(D(x) - D(G(z)))
    assert g.item() == pytest.approx((_softplus(1) + _softplus(-1)) / 2)
    assert stats["d_real"].item() == pytest.approx(1.5) and stats["d_fake"].item() == pytest.approx(1.5)
    # Pairing is elementwise: swapping which fake meets which real changes the loss.
    swapped, _ = loss.discriminator(identity_d, real, batch(3.0, 0.0))
    assert swapped.item() == pytest.approx((_softplus(2) + _softplus(-2)) / 2)
