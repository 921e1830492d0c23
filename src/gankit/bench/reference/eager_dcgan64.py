"""The PyTorch DCGAN tutorial (pytorch.org/tutorials/beginner/dcgan_faces_tutorial.html) as its
readers write it, for 64×64 colour images: nz 100, ngf = ndf = 64 (`--width`), batch 128, Adam
2e-4 with β1 0.5, BCE on D's sigmoid, weights N(0, 0.02), and the G step reusing the fake batch of
the D step. Images come from a folder (`--data`), read with Pillow as the tutorial's ImageFolder
would, except that transparent pixels are put on white (as gankit's folder loader does, so both
learn the same pixels); they are kept in memory, scaled to [-1, 1].

Speed: `python -m gankit.bench.reference.eager_dcgan64 --data DIR --seconds 15`. Quality over
wall time: `--train 600 --at 150,300,600 --out OUT` trains and, at each of those training seconds,
writes samples of G to OUT/samples-<s>s.npy (N×3×64×64 in [0, 1]; G in training mode, as the
tutorial draws its pictures, 128 at a time). Drawing them is not counted as training time.
"""

import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .common import parser, start, timed


class Generator(nn.Module):
    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, ndf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.main(x)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def folder_images(root: str, size: int = 64) -> torch.Tensor:
    """Every image under root, centre-cropped and resized to size×size, as N×3×size×size in [-1, 1]."""
    from PIL import Image

    out = []
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            try:
                with Image.open(Path(dirpath) / name) as im:
                    im = im.convert("RGBA")
                    white = Image.new("RGBA", im.size, (255, 255, 255, 255))
                    im = Image.alpha_composite(white, im).convert("RGB")
                    s = min(im.size)
                    left, top = (im.size[0] - s) // 2, (im.size[1] - s) // 2
                    im = im.crop((left, top, left + s, top + s)).resize((size, size), Image.BILINEAR)
                    out.append(np.asarray(im))
            except OSError:
                continue
    x = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float() / 255
    return x * 2 - 1


def main():
    p = parser("the PyTorch DCGAN tutorial at 64x64, eager", batch=128, snapshots=("dcgan64-samples", 5000))
    p.add_argument("--data", required=True, help="a folder of images")
    p.add_argument("--width", type=int, default=64, help="ngf = ndf")
    args = p.parse_args()
    start(args)
    data = folder_images(args.data)
    nz, m = 100, args.batch
    netG, netD = Generator(nz, args.width), Discriminator(args.width)
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    batches = []

    def next_batch():
        if not batches:  # a DataLoader with shuffle=True: a new permutation each epoch
            batches.extend(torch.randperm(len(data)).split(m)[::-1])
        return data[batches.pop()]

    def step():
        real = next_batch()
        b = real.size(0)
        netD.zero_grad()
        label = torch.full((b,), 1.0)
        errD_real = criterion(netD(real).view(-1), label)
        errD_real.backward()
        fake = netG(torch.randn(b, nz, 1, 1))
        label.fill_(0.0)
        errD_fake = criterion(netD(fake.detach()).view(-1), label)
        errD_fake.backward()
        optimizerD.step()
        netG.zero_grad()
        label.fill_(1.0)  # fake labels are real for the generator cost
        errG = criterion(netD(fake).view(-1), label)
        errG.backward()
        optimizerG.step()
        return (errD_real + errD_fake).item(), errG.item()

    if not args.train:
        timed(step, args, {"loop": "dcgan64", "width": args.width})
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    marks = sorted(float(s) for s in args.at.split(","))
    trained, steps = 0.0, 0
    z = torch.randn(args.n, nz, 1, 1, generator=torch.Generator().manual_seed(1))
    while marks:
        t0 = time.perf_counter()
        step()
        trained += time.perf_counter() - t0
        steps += 1
        if trained >= marks[0]:
            with torch.no_grad():
                x = torch.cat([netG(z[i:i + 128]) for i in range(0, len(z), 128)])
            np.save(out / f"samples-{int(marks[0])}s.npy", ((x + 1) / 2).clamp(0, 1).numpy().astype(np.float32))
            print(json.dumps({"seconds": marks[0], "steps": steps, "trained_s": trained}), flush=True)
            marks.pop(0)


if __name__ == "__main__":
    main()
