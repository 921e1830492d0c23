"""Least squares GAN (`lsgan`; Mao et al. 2017)."""

from __future__ import annotations

from .base import GANLoss
from .registry import register_loss


class LeastSquares(GANLoss):
    """Least squares GAN (Mao et al. 2017, eq. 2 with a = 0, b = 1, c = 1): D descends
    ½ E (D(x) - 1)² + ½ E D(G(z))², G descends ½ E (D(G(z)) - 1)²."""

    name = "lsgan"
    scores_note = ("D's mean output on data, d_real, and on samples, d_fake; D is pulled to 1 on data and 0 on "
                   "samples, and at equilibrium (p_g = p_data, D* = 1/2 for a = 0, b = 1) both are 1/2")
    equilibrium = 0.5
    hint = "lower optim.lr_d / optim.lr_g, or bound D with model.spectral_norm=true or train.r1_gamma"
    a, b, c = 0.0, 1.0, 1.0

    def d_loss(self, real_s, fake_s):
        return 0.5 * (real_s - self.b).square().mean() + 0.5 * (fake_s - self.a).square().mean()

    def g_loss(self, fake_s, real_s):
        return 0.5 * (fake_s - self.c).square().mean()


register_loss("lsgan", lambda t, u: LeastSquares(t.r1_gamma, t.r2_gamma))
