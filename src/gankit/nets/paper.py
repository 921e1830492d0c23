"""The paper's MNIST nets (`paper-mnist`): Goodfellow et al. (2014)'s generator and maxout
discriminator, with their initialisation, dropout and max-norm constraint."""

from __future__ import annotations

from .layers import output_for, pixel_logits
from .mlp import MLPDiscriminator, MLPGenerator
from .registry import register_net


def _paper_g(cfg, shape, kind, pixel_mean):
    # Goodfellow et al.'s MNIST generator: 1200-1200 ReLU, sigmoid out, U(-0.05, 0.05), output
    # bias at the logit of the mean training pixel so G starts at the average image.
    return MLPGenerator(cfg.z_dim, [1200, 1200], shape, "relu", False, output_for(kind), 0.05,
                        pixel_logits(pixel_mean) if kind == "image" else None)


def _paper_d(cfg, shape, kind):
    # The paper's MNIST discriminator: maxout 240x5 -> maxout 240x5 -> 1, U(-0.005, 0.005);
    # dropout keeps 80% of inputs and 50% of hidden units; unit weight norms at most 1.9365.
    return MLPDiscriminator(shape, [240, 240], "relu", 0.5, 0.2, 5, 0.005, max_norm=1.9365)


register_net("paper-mnist", generator=_paper_g, discriminator=_paper_d,
             summary="the paper's MNIST nets: G 1200-1200 ReLU, D maxout 240x5-240x5 with dropout and max-norm")
