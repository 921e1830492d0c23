"""Running means of training statistics."""

import torch

from gankit.train.meters import Meters


def test_means_average_every_value_added_since_the_last_reset():
    m = Meters(torch.device("cpu"))
    for v in (1.0, 2.0, 6.0):
        m.add({"a": torch.tensor(v)})
    m.add({"b": torch.tensor(-1.0)})
    assert m.means() == {"a": 3.0, "b": -1.0}
    assert m.means(lambda t: t * 2) == {"a": 6.0, "b": -2.0}  # e.g. an all-reduce over processes
    m.reset()
    assert m.means() == {}
    m.add({"a": torch.tensor(float("nan"))})
    assert torch.isnan(torch.tensor(m.means()["a"]))
