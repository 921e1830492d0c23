"""A small DCGAN for 28×28 images (as in the PyTorch DCGAN tutorial, sized for MNIST), eager.

Speed: `python eager_dcgan.py --seconds 15`. Quality over wall time: `--train 600 --at 150,300,600
--out DIR` trains on Fashion-MNIST and, at each of those training seconds, writes 10k samples of G
(eval mode, in [0, 1]) to DIR/samples-<s>s.npy for gankit's offline metrics. Drawing the samples
is not counted as training time.
"""

import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .common import images, parser, start, timed


class Generator(nn.Module):
    def __init__(self, z_dim=100):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(z_dim, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(True))
        self.net = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(self.fc(z).view(-1, 128, 7, 7))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
            nn.Flatten(), nn.Linear(128 * 7 * 7, 1))

    def forward(self, x):
        return self.net(x)


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    p = parser("small DCGAN, eager", batch=64, snapshots=("dcgan-samples", 10000))
    args = p.parse_args()
    start(args)
    G, D = Generator(), Discriminator()
    G.apply(weights_init)
    D.apply(weights_init)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    data = images(50000, scale="tanh")  # gankit's training split: the first 50k
    m = args.batch
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)

    def step():
        real = data[torch.randint(len(data), (m,))]
        fake = G(torch.randn(m, 100))
        opt_D.zero_grad()
        loss_d = bce(D(real), ones) + bce(D(fake.detach()), zeros)
        loss_d.backward()
        opt_D.step()
        if not args.reuse_fake:
            fake = G(torch.randn(m, 100))
        opt_G.zero_grad()
        loss_g = bce(D(fake), ones)
        loss_g.backward()
        opt_G.step()
        return loss_d.item(), loss_g.item()

    if not args.train:
        timed(step, args, {"loop": "dcgan"})
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    marks = sorted(float(s) for s in args.at.split(","))
    trained, steps = 0.0, 0
    z = torch.randn(args.n, 100, generator=torch.Generator().manual_seed(1))
    while marks:
        t0 = time.perf_counter()
        step()
        trained += time.perf_counter() - t0
        steps += 1
        if trained >= marks[0]:
            G.eval()
            with torch.no_grad():
                x = torch.cat([G(z[i:i + 1000]) for i in range(0, len(z), 1000)])
            G.train()
            np.save(out / f"samples-{int(marks[0])}s.npy", ((x + 1) / 2).clamp(0, 1).numpy().astype(np.float32))
            print(json.dumps({"seconds": marks[0], "steps": steps}), flush=True)
            marks.pop(0)


if __name__ == "__main__":
    main()
