"""The relativistic pairing loss (`rpgan`; Jolicoeur-Martineau 2019), R3GAN's with R1 + R2."""

from __future__ import annotations

import torch.nn.functional as F

from .base import GANLoss
from .registry import register_loss


class RelativisticPairing(GANLoss):
    """RpGAN (Jolicoeur-Martineau 2019; R3GAN, Huang et al. 2025, eq. 2 with f = -softplus(-t)):
    each real example is paired with one fake, and D descends E softplus(D(G(z)) - D(x)), G
    descends E softplus(D(x) - D(G(z))). R3GAN adds R1 and R2 (train.r1_gamma = train.r2_gamma =
    γ): the penalties make the pairing loss converge locally, and the pairing keeps G from
    collapsing onto whatever D currently scores highest."""

    name = "rpgan"
    scores_note = ("D's mean raw score on data, d_real, and on samples, d_fake; the loss sees only their "
                   "difference, which is 0 at equilibrium (the level itself drifts freely)")
    hint = "RpGAN needs its zero-centred penalties: set or raise train.r1_gamma and train.r2_gamma"
    g_sees_real = True

    def d_loss(self, real_s, fake_s):
        return F.softplus(fake_s - real_s).mean()

    def g_loss(self, fake_s, real_s):
        return F.softplus(real_s - fake_s).mean()


register_loss("rpgan", lambda t, u: RelativisticPairing(t.r1_gamma, t.r2_gamma))
