"""The paper's figures, drawn from real runs: one function per figure.

- `figure1`: the four panels of Figure 1 on a 1-D run (gauss1d): p_data (black dots), p_g
  (green), D (blue dashes), D* = p_data / (p_data + p_g) (grey), and the map z -> x = G(z).
- `saturation`: the generator's gradient norm through early training, for the minimax loss
  log(1 - D(G(z))) and the non-saturating -log D(G(z)) (section 3 of the paper).
- `figure2`: samples, each with its nearest training image (Euclidean, pixel space) beside it,
  framed in yellow, as in the paper's Figure 2.
- `figure3`: straight-line walks in z between random pairs, one row each.

`paper_figures(run)` picks those a run can show by its data kind; `gankit figures` calls it.
"""

from __future__ import annotations

import copy
import math
import re
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .. import data, nets
from ..data.dataset import pixels, to_data_units, to_train_units
from ..errors import GankitError, brief
from ..losses import GENERATOR_LOSSES, Examples, discriminator_loss, scores
from ..metrics.memorisation import nearest
from ..sampling.generator import Generator, generator_from_state, load_generator
from ..sampling.outputs import png_bytes, write_file
from ..sampling.pictures import image_grid, pyplot
from ..sampling.run import open_checkpoint

DPI = 100
PAPER_FIGURES = ("figure1.png", "saturation.png", "nearest.png", "walks.png")  # names in RUN/figures/
MIN_SATURATION_POINTS = 5  # kept step checkpoints the saturation figure needs to draw a curve, not a segment
HIGHLIGHT = (255, 214, 0)  # the paper's yellow frame


# --- runs and their checkpoints -----------------------------------------------------------------

def step_checkpoints(run: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of RUN/checkpoints/step-NNNNNNN.pt, by step (kept with train.keep_every)."""
    found = []
    for p in (Path(run) / "checkpoints").glob("step-*.pt"):
        m = re.fullmatch(r"step-(\d+)\.pt", p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


class Nets:
    """G and D of one checkpoint, in eval mode, with what is needed to use them.

    G is the trained generator, not its EMA: these figures are about the game G and D play, and D
    was trained against G. `gen` draws samples in data units through it.
    """

    def __init__(self, path: str | Path, run: str | Path):
        state, path = open_checkpoint(run, str(path))  # a step file copied in from another run is refused
        self.gen = generator_from_state(state, str(path), ema=False, device="cpu", where=str(path))
        self.G, self.config, self.info, self.step = self.gen.net, self.gen.config, self.gen.info, self.gen.step
        self.shape, self.kind = self.gen.shape, self.gen.kind
        self.num_classes = self.gen.num_classes
        self.D = nets.build_discriminator(self.config.model, self.shape, self.kind, self.num_classes)
        try:
            self.D.load_state_dict(state["D"])
        except RuntimeError as e:
            raise GankitError(f"checkpoint {path} does not fit its own config ({brief(e)})") from None
        self.D.eval()

    def noise(self, n: int, seed: int = 0) -> torch.Tensor:
        m = self.config.model
        return nets.sample_noise(m.prior, n, m.z_dim, torch.Generator().manual_seed(seed))

    def classes(self, n: int) -> torch.Tensor | None:
        """Balanced classes for n samples of a conditional run; None for an unconditional one."""
        return torch.arange(n) % self.num_classes if self.num_classes else None

    def to_data_units(self, x: torch.Tensor) -> torch.Tensor:
        return to_data_units(x, self.info)

    def to_train_units(self, x: torch.Tensor) -> torch.Tensor:
        return to_train_units(x, self.info)


def _save(fig, plt, path: Path) -> Path:
    try:  # fixed figsize × dpi: the PNG's size does not depend on content
        return write_file(path, png_bytes(fig, dpi=DPI))
    finally:
        plt.close(fig)


# --- Figure 1 -----------------------------------------------------------------------------------

def converge_discriminator(n: Nets, real: torch.Tensor, steps: int = 1000, batch_size: int = 512,
                           lr: float = 1e-3, seed: int = 0) -> torch.nn.Module:
    """A copy of n.D trained against the fixed G of n (Algorithm 1's inner loop, run long)."""
    D = copy.deepcopy(n.D).train()
    opt = torch.optim.Adam(D.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    m = n.config.model
    for _ in range(steps):
        x = real[torch.randint(len(real), (batch_size,), generator=gen)]
        with torch.no_grad():
            fake = n.G(nets.sample_noise(m.prior, batch_size, m.z_dim, gen))
        loss = discriminator_loss(D(x), D(fake))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return D.eval()


def _density_1d(points: np.ndarray, grid: np.ndarray) -> np.ndarray:
    from scipy.stats import gaussian_kde

    return gaussian_kde(points)(grid)


def _data_density(dataset, grid: np.ndarray) -> np.ndarray:
    """The true density when the data set is a known mixture (gauss1d), else a KDE of its points."""
    if dataset.modes is not None and dataset.mode_std > 0:
        means = dataset.modes[:, 0].double().numpy()
        s = dataset.mode_std
        return np.mean(np.exp(-0.5 * ((grid[:, None] - means) / s) ** 2) / (s * math.sqrt(2 * math.pi)), axis=1)
    return _density_1d(to_data_units(dataset.train, dataset.info())[:, 0].double().numpy(), grid)


def _panel(ax, n: Nets, D: torch.nn.Module, dataset, title: str, lo: float, hi: float, n_g: int = 20000):
    grid = np.linspace(lo, hi, 400)
    with torch.no_grad():
        g = n.gen(n_g, seed=1).double().numpy()[:, 0]
        d = torch.sigmoid(D(n.to_train_units(torch.tensor(grid, dtype=torch.float32)[:, None]))).numpy()
    p_data = _data_density(dataset, grid)
    p_g = _density_1d(g, grid)
    d_star = p_data / np.maximum(p_data + p_g, 1e-300)
    top = 1.1 * max(p_data.max(), p_g.max(), 1.0)
    ax.plot(grid[::8], p_data[::8], "k.", ms=4, label="p_data")
    ax.plot(grid, p_g, color="tab:green", lw=2, label="p_g")
    ax.plot(grid, d, color="tab:blue", ls="--", lw=2, label="D")
    ax.plot(grid, d_star, color="0.55", lw=1, label="D* = p_data/(p_data+p_g)")
    # The map z -> x = G(z): z on the lower line, x on the upper, as in the paper.
    if n.config.model.z_dim == 1:
        m = n.config.model
        z = (torch.linspace(-nets.SQRT3, nets.SQRT3, 17) if m.prior == "uniform"
             else torch.linspace(-2, 2, 17))[:, None]
        x = n.gen(z)[:, 0].numpy()
        zpos = lo + (hi - lo) * (z[:, 0].numpy() - z.min().item()) / (z.max() - z.min()).item()
        yx, yz = -0.08 * top, -0.32 * top
        ax.axhline(yx, color="k", lw=0.8)
        ax.axhline(yz, color="k", lw=0.8)
        for a, b in zip(zpos, x):
            ax.annotate("", xy=(b, yx), xytext=(a, yz), arrowprops=dict(arrowstyle="->", lw=0.6, color="0.3"))
        ax.text(lo, yz - 0.04 * top, "z", va="top")
        ax.text(lo, yx + 0.02 * top, "x", va="bottom")
        ax.set_ylim(yz - 0.12 * top, top)
    else:
        ax.set_ylim(0, top)
    ax.set_xlim(lo, hi)
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def figure1(run: str | Path, out: str | Path) -> Path:
    """Four panels: start, D trained to convergence against that G, after G's updates, the end."""
    ckpts = step_checkpoints(run)
    latest = Path(run) / "checkpoints" / "latest.pt"
    if latest.is_file() and (not ckpts or Nets(latest, run).step > ckpts[-1][0]):
        ckpts.append((Nets(latest, run).step, latest))
    if ckpts:
        head = Nets(ckpts[-1][1], run)
        if head.kind != "points" or head.shape != (1,):
            raise GankitError(f"Figure 1 is drawn for 1-D data (gauss1d); {run} models {head.kind} of shape {head.shape}")
    if len(ckpts) < 3:
        raise GankitError(f"Figure 1 needs at least 3 checkpoints of {run} through training "
                          "(train with train.keep_every, e.g. --set train.keep_every=250)")
    first, second, last = Nets(ckpts[0][1], run), Nets(ckpts[1][1], run), Nets(ckpts[-1][1], run)
    dataset = data.load(first.config.data)
    real = dataset.train  # training units: what D sees
    D_conv = converge_discriminator(first, real)
    g = np.concatenate([n.gen(5000, seed=0).numpy()[:, 0] for n in (first, second, last)])
    xs = np.concatenate([g, to_data_units(dataset.train[:5000], dataset.info())[:, 0].numpy()])
    lo, hi = np.percentile(xs, [0.5, 99.5])
    pad = 0.15 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    _panel(axes[0], first, first.D, dataset, f"(a) step {first.step}", lo, hi)
    _panel(axes[1], first, D_conv, dataset, f"(b) step {first.step}, D trained to convergence", lo, hi)
    _panel(axes[2], second, second.D, dataset, f"(c) step {second.step}, after G's updates", lo, hi)
    _panel(axes[3], last, last.D, dataset, f"(d) step {last.step}", lo, hi)
    axes[0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return _save(fig, plt, Path(out))


# --- saturation ---------------------------------------------------------------------------------

def gradient_norms(run: str | Path, n: int = 1000, seed: int = 0) -> dict:
    """At every kept checkpoint: ‖∇_θG‖ of both generator losses on the same z, and mean D(G(z))."""
    ckpts = step_checkpoints(run)
    if len(ckpts) < MIN_SATURATION_POINTS:
        raise GankitError(f"{run} kept {len(ckpts)} step checkpoints, too few for a curve (at least "
                          f"{MIN_SATURATION_POINTS}: train with train.keep_every, e.g. --set train.keep_every=10)")
    out = {"steps": [], "d_fake": [], "loss": None, **{k: [] for k in GENERATOR_LOSSES}}
    for step, path in ckpts:
        net = Nets(path, run)
        out["loss"] = net.config.train.loss
        z, c = net.noise(n, seed), net.classes(n)
        out["steps"].append(step)
        for name, loss_fn in GENERATOR_LOSSES.items():
            net.G.zero_grad(set_to_none=True)
            logits = scores(net.D, Examples(net.G(z, c), c))
            loss_fn(logits).backward()
            norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in net.G.parameters() if p.grad is not None))
            out[name].append(float(norm))
        out["d_fake"].append(float(torch.sigmoid(logits.detach()).mean()))
    return out


def saturation(runs: list[str | Path], out: str | Path) -> Path:
    """Gradient norm of G's loss through training for each run (its own loss solid, the other
    loss at the same nets dotted), and D(G(z)) beside it."""
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    colors = {"minimax": "tab:red", "nonsaturating": "tab:blue"}
    for run in runs:
        r = gradient_norms(run)
        own = r["loss"]
        for name in GENERATOR_LOSSES:
            label = f"{own} run: {name} loss" + (" (the one it trains on)" if name == own else "")
            a.plot(r["steps"], r[name], color=colors.get(own, "k"), ls="-" if name == own else ":",
                   marker="o" if name == "minimax" else None, ms=3, label=label)
        b.plot(r["steps"], r["d_fake"], color=colors.get(own, "k"), label=f"trained with {own}")
    a.set_yscale("log")
    a.set_xlabel("generator step"); a.set_ylabel("‖∇θG loss‖")
    a.set_title("generator gradient norm (colour: run, line: loss)")
    a.legend(fontsize=7)
    b.set_xlabel("generator step"); b.set_ylabel("mean D(G(z))"); b.set_ylim(0, 1)
    b.set_title("how confidently D rejects samples"); b.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, plt, Path(out))


# --- Figures 2 and 3 ----------------------------------------------------------------------------

def _tile(img: torch.Tensor, scale: int) -> Image.Image:
    return image_grid(img[None], nrow=1, pad=0, scale=scale).convert("RGB")


def nearest_training(samples: torch.Tensor, train: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Index of each sample's nearest training example (Euclidean distance in pixel space)."""
    return nearest(samples, train, chunk, transform=pixels)[1]


def figure2(run: str | Path, out: str | Path, n: int = 30, cols: int = 6, seed: int = 0,
            G: Generator | None = None, dataset=None) -> Path:
    """Samples with their nearest training image beside them, framed in yellow."""
    G = G or load_generator(run)
    if G.kind != "image":
        raise GankitError(f"Figure 2 is for image runs; {run} models {G.kind}")
    x = torch.from_numpy(G.draw(n, seed, torch.arange(n) % G.num_classes if G.conditional else None))
    dataset = dataset if dataset is not None else data.load(G.config.data)
    nn_idx = nearest_training(x, dataset.train)
    h, w = G.shape[1:]
    scale = max(1, 56 // max(h, w))
    th, tw, frame, gap = h * scale, w * scale, 3, 10
    cell_w = 2 * tw + 3 * frame + gap
    rows = math.ceil(n / cols)
    canvas = Image.new("RGB", (cols * cell_w + gap, rows * (th + 2 * frame + 6) + 6), "white")
    draw = ImageDraw.Draw(canvas)
    for k in range(n):
        r, c = divmod(k, cols)
        x0, y0 = gap + c * cell_w, 6 + r * (th + 2 * frame + 6)
        canvas.paste(_tile(x[k], scale), (x0, y0 + frame))
        nx = x0 + tw + frame
        draw.rectangle([nx, y0, nx + tw + 2 * frame - 1, y0 + th + 2 * frame - 1], fill=HIGHLIGHT)
        canvas.paste(_tile(pixels(dataset.train[nn_idx[k]]), scale), (nx + frame, y0 + frame))
    return save_captioned(canvas, out, f"Nearest training images (after the paper's Figure 2), step {G.step}",
                          "left: a sample G(z); right, framed in yellow: the training image nearest to it "
                          "(Euclidean distance in pixels)")


def figure3(run: str | Path, out: str | Path, rows: int = 6, steps: int = 10, seed: int = 0,
            G: Generator | None = None) -> Path:
    """Each row: G along the straight line from z_a to z_b (both ends drawn from the prior); in a
    conditional run each row holds one class (row r: class r mod the number of classes)."""
    G = G or load_generator(run)
    if G.kind != "image":
        raise GankitError(f"Figure 3 is for image runs; {run} models {G.kind}")
    ends = G.noise(2 * rows, torch.Generator().manual_seed(seed))
    t = torch.linspace(0, 1, steps)[None, :, None]
    z = ((1 - t) * ends[:rows, None] + t * ends[rows:, None]).reshape(rows * steps, -1)
    c = (torch.arange(rows) % G.num_classes).repeat_interleave(steps) if G.conditional else None
    grid = image_grid(G(z, c), nrow=steps, scale=max(1, 56 // max(G.shape[1:]))).convert("RGB")
    return save_captioned(grid, out, f"Walks in z (after the paper's Figure 3), step {G.step}",
                          f"each row: G(z) at {steps} evenly spaced points on the straight line from z_a "
                          "(left) to z_b (right)")


CAPTION_HEIGHT = 44  # pixels above a picture for its title and legend


def save_captioned(img: Image.Image, out: str | Path, title: str, legend: str) -> Path:
    """Write `img` under a band with its title and legend, both also kept in the PNG's text
    chunks (Title, Description) for viewers and the run report."""
    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=11)
    words, lines = legend.split(), [""]
    for word in words:  # wrap the legend to the picture's width
        trial = f"{lines[-1]} {word}".strip()
        if lines[-1] and small.getlength(trial) > img.width - 12:
            lines.append(word)
        else:
            lines[-1] = trial
    height = CAPTION_HEIGHT + 14 * (len(lines) - 1)
    canvas = Image.new("RGB", (img.width, img.height + height), "white")
    canvas.paste(img.convert("RGB"), (0, height))
    draw = ImageDraw.Draw(canvas)
    draw.text((6, 4), title, fill="black", font=font)
    for i, line in enumerate(lines):
        draw.text((6, 24 + 14 * i), line, fill=(60, 60, 60), font=small)
    return write_file(Path(out), png_bytes(canvas, title=title, description=legend))


# --- by data kind -------------------------------------------------------------------------------

def paper_figure_names(G: Generator, run: str | Path) -> list[str]:
    """The files of RUN/figures/ that `paper_figures` draws for this run: Figures 2–3 for images,
    Figure 1 for an unconditional 1-D run, the saturation figure when enough step checkpoints are kept.
    The one place that decides, for `paper_figures` and for what `gankit figures` checks before drawing."""
    names = []
    if G.kind == "image":
        names += ["nearest.png", "walks.png"]
    elif G.shape == (1,) and not G.conditional:
        names.append("figure1.png")
    if len(step_checkpoints(Path(run))) >= MIN_SATURATION_POINTS:
        names.append("saturation.png")
    return names


def paper_figures(run: str | Path, log=None, G: Generator | None = None, dataset=None) -> list[Path]:
    """The paper's figures this run can show, written to RUN/figures/; `log` hears what is skipped.
    `G` (the run's generator) and `dataset` are loaded when not given."""
    run = Path(run)
    log = log or (lambda s: print(f"gankit: {s}", file=sys.stderr))
    out = run / "figures"
    G = G or load_generator(run)
    names = paper_figure_names(G, run)
    written = []
    if "nearest.png" in names:
        written.append(figure2(run, out / "nearest.png", G=G, dataset=dataset))
    if "walks.png" in names:
        written.append(figure3(run, out / "walks.png", G=G))
    if "figure1.png" in names:
        try:
            written.append(figure1(run, out / "figure1.png"))
        except GankitError as e:
            log(f"figure1 skipped: {e}")
    elif G.shape == (1,) and G.conditional:
        log("figure1 skipped: a conditional run's D has no single curve D(x) to draw")
    if "saturation.png" in names:
        written.append(saturation([run], out / "saturation.png"))
    else:
        kept = len(step_checkpoints(run))
        log(f"saturation figure skipped: it is drawn from the run's step checkpoints, and {kept} "
            f"{'is' if kept == 1 else 'are'} kept, too few for a curve (at least {MIN_SATURATION_POINTS}: train "
            f"with train.keep_every, e.g. --set train.keep_every={max(1, G.step // 10)})")
    return written
