"""The paper's nets in a plain eager loop, as a careful user writes it from the paper."""

import torch
from torch import nn

from .common import images, parser, timed


class Maxout(nn.Module):
    def __init__(self, d_in, units, pieces):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.lin = nn.Linear(d_in, units * pieces)

    def forward(self, x):
        return self.lin(x).view(-1, self.units, self.pieces).max(dim=2)[0]


def main():
    args = parser("paper nets, eager", batch=100).parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    G = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(),
                      nn.Linear(1200, 784), nn.Sigmoid())
    D = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.5),
                      Maxout(240, 240, 5), nn.Dropout(0.5), nn.Linear(240, 1), nn.Sigmoid())
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1, momentum=0.5)
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1, momentum=0.5)
    bce = nn.BCELoss()
    data = images().view(-1, 784)
    m = args.batch
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)

    def step():
        real = data[torch.randint(len(data), (m,))]
        z = torch.rand(m, 100) * 2 - 1
        fake = G(z)
        opt_D.zero_grad()
        loss_real = bce(D(real), ones)
        loss_fake = bce(D(fake.detach()), zeros)
        loss_d = loss_real + loss_fake
        loss_d.backward()
        opt_D.step()
        if not args.reuse_fake:
            fake = G(torch.rand(m, 100) * 2 - 1)
        opt_G.zero_grad()
        loss_g = bce(D(fake), ones)  # the non-saturating loss, -log D(G(z))
        loss_g.backward()
        opt_G.step()
        return loss_d.item(), loss_g.item()

    timed(step, args, {"loop": "paper"})


if __name__ == "__main__":
    main()
