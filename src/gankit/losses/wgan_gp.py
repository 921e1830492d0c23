"""WGAN-GP (`wgan-gp`; Gulrajani et al. 2017): a critic held near 1-Lipschitz by a gradient penalty."""

from __future__ import annotations

from .base import GANLoss, Uniform, default_uniform
from .penalties import gradient_penalty
from .registry import register_loss
from .scores import Objective


class WassersteinGP(GANLoss):
    """WGAN-GP (Gulrajani et al. 2017): the critic descends E D(G(z)) - E D(x) + λ GP, G descends
    -E D(G(z)). The paper: λ = 10, k = 5 critic steps, Adam(1e-4, β1 = 0, β2 = 0.9), no batch norm
    in the critic. `wasserstein` = E D(x) - E D(G(z)), the critic's estimate of W1; `gp` the
    penalty before λ. ε comes from `uniform`, a stream the checkpoint stores."""

    name = "wgan-gp"
    scores_note = ("the critic's mean score on data, d_real, and on samples, d_fake; their gap (wasserstein) "
                   "estimates the Wasserstein-1 distance, 0 when p_g = p_data; the level itself means nothing")
    hint = ("WGAN-GP is tuned for train.k=5, optim.beta1=0, optim.beta2=0.9, lr 1e-4 (configs/ring8-wgan-gp.toml); "
            "lower optim.lr_d / optim.lr_g or raise train.gp_weight")
    extra_stats = ("wasserstein", "gp")

    def __init__(self, gp_weight: float = 10.0, uniform: Uniform | None = None,
                 r1_gamma: float = 0.0, r2_gamma: float = 0.0):
        super().__init__(r1_gamma, r2_gamma)
        self.gp_weight, self.uniform = float(gp_weight), uniform or default_uniform()

    double_backward = "WGAN-GP's gradient penalty"  # a gradient of D's gradients

    def d_loss(self, real_s, fake_s):
        return fake_s.mean() - real_s.mean()

    def g_loss(self, fake_s, real_s):
        return -fake_s.mean()

    def d_stats(self, real_s, fake_s):
        return {**super().d_stats(real_s, fake_s), "wasserstein": real_s.mean() - fake_s.mean()}

    def penalty(self, D, real, fake):
        gp = gradient_penalty(D, real, fake, self.uniform(len(real.x), real.x))
        return Objective(self.gp_weight * gp, {"gp": gp.detach()})


register_loss("wgan-gp", lambda t, u: WassersteinGP(t.gp_weight, u, t.r1_gamma, t.r2_gamma))
