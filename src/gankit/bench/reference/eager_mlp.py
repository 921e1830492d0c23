"""The tutorial MLP GAN (as in the PyTorch-GAN collection's `gan.py`), eager."""

import torch
from torch import nn

from .common import images, parser, timed


def block(d_in, d_out, bn=True):
    layers = [nn.Linear(d_in, d_out)]
    if bn:
        layers.append(nn.BatchNorm1d(d_out, 0.8))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


def main():
    args = parser("tutorial MLP GAN, eager", batch=64).parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    G = nn.Sequential(*block(100, 128, bn=False), *block(128, 256), *block(256, 512), *block(512, 1024),
                      nn.Linear(1024, 784), nn.Tanh())
    D = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 256),
                      nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 1), nn.Sigmoid())
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    data = images(scale="tanh").view(-1, 784)
    m = args.batch
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)

    def step():
        real = data[torch.randint(len(data), (m,))]
        fake = G(torch.randn(m, 100))
        opt_D.zero_grad()
        loss_d = (bce(D(real), ones) + bce(D(fake.detach()), zeros)) / 2
        loss_d.backward()
        opt_D.step()
        if not args.reuse_fake:
            fake = G(torch.randn(m, 100))
        opt_G.zero_grad()
        loss_g = bce(D(fake), ones)
        loss_g.backward()
        opt_G.step()
        return loss_d.item(), loss_g.item()

    timed(step, args, {"loop": "mlp"})


if __name__ == "__main__":
    main()
