import math

import torch

from gankit.config import OptimConfig
from gankit.train.optim import apply_schedule, build, learning_rate, momentum

PAPER = OptimConfig(name="sgd", lr_g=0.1, lr_d=0.1, momentum=0.5, momentum_final=0.7, momentum_epochs=250,
                    lr_decay=1.000004, lr_min=1e-6)


def test_paper_learning_rate_decay_and_floor():
    assert learning_rate(PAPER, 0.1, 0) == 0.1
    assert math.isclose(learning_rate(PAPER, 0.1, 100_000), 0.1 / 1.000004 ** 100_000)
    assert learning_rate(PAPER, 0.1, 10**8) == 1e-6


def test_paper_momentum_ramps_linearly_then_holds():
    assert momentum(PAPER, 0) == 0.5
    assert math.isclose(momentum(PAPER, 125), 0.6)
    assert math.isclose(momentum(PAPER, 250), 0.7) and math.isclose(momentum(PAPER, 1000), 0.7)


def test_schedule_is_applied_to_the_optimizer():
    p = [torch.nn.Parameter(torch.zeros(1))]
    opt = build(PAPER, p, 0.1)
    apply_schedule(opt, PAPER, 0.1, 10, 125.0)
    assert math.isclose(opt.param_groups[0]["lr"], 0.1 / 1.000004 ** 10)
    assert math.isclose(opt.param_groups[0]["momentum"], 0.6)
