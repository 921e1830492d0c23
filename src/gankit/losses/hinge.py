"""The hinge loss (`hinge`; Lim & Ye 2017, Miyato et al. 2018)."""

from __future__ import annotations

import torch.nn.functional as F

from .base import GANLoss
from .registry import register_loss


class Hinge(GANLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018, with spectral normalization): D descends
    E max(0, 1 - D(x)) + E max(0, 1 + D(G(z))), G descends -E D(G(z))."""

    name = "hinge"
    scores_note = ("D's mean raw score on data, d_real, and on samples, d_fake (unbounded); the hinge pushes "
                   "them towards +1 and -1 while D can tell them apart, and they meet when it cannot")
    hint = "lower optim.lr_d / optim.lr_g, or add model.spectral_norm=true (Miyato et al. pair the hinge loss with it)"

    def d_loss(self, real_s, fake_s):
        return F.relu(1 - real_s).mean() + F.relu(1 + fake_s).mean()

    def g_loss(self, fake_s, real_s):
        return -fake_s.mean()


register_loss("hinge", lambda t, u: Hinge(t.r1_gamma, t.r2_gamma))
