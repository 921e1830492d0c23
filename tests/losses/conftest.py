"""What the losses' hand-computed cases share: a 'discriminator' whose score is its input, and
batches of the scores we choose."""

import pytest
import torch

from gankit import losses


@pytest.fixture
def identity_d():
    """A 'discriminator' whose score is its (1-D) input: the loss sees the numbers we choose."""
    return lambda x: x


@pytest.fixture
def batch():
    """batch(2.0, 0.5, ...): a float64 batch of those 1-D examples."""
    return lambda *values: losses.Examples(torch.tensor(values, dtype=torch.float64))
