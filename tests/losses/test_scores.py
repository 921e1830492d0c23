"""D's scores on real and fake in one pass equal those of two passes."""


import torch

from gankit import losses
from gankit.losses import discriminator_loss


def test_one_pass_over_real_and_fake_computes_what_two_passes_compute():
    # The fast path (both batches stacked through D) against the plain one, dropout masks included.
    from gankit import nets
    from gankit.config import ModelConfig
    from gankit.train.streams import dropout_generator

    torch.manual_seed(0)
    D = nets.build_discriminator(ModelConfig(d="paper-mnist"), (1, 28, 28), "image")
    real, fake = losses.Examples(torch.rand(6, 1, 28, 28)), losses.Examples(torch.rand(6, 1, 28, 28))
    results = []
    for pair in (losses.scores_pair, lambda D, r, f: (losses.scores(D, r), losses.scores(D, f))):
        D.zero_grad()
        for i, layer in enumerate(nets.dropout_layers(D)):
            layer.source = nets.MaskSource(dropout_generator(0, i))
        r, f = pair(D, real, fake)
        discriminator_loss(r, f).backward()
        results.append([r.detach(), f.detach(), *[p.grad.clone() for p in D.parameters()]])
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(*results))
    assert not torch.equal(results[0][0], D.eval()(real.x))  # dropout was active in both
