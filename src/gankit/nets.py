"""Generators, discriminators and the noise prior.

A generator maps z ~ p_z to one example of the data's shape; a discriminator maps an example to
a *logit* (D(x) = sigmoid(logit)), so the losses can stay numerically stable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import TYPE_CHECKING, Callable

import torch
from torch import nn

if TYPE_CHECKING:  # annotations only: config imports nets (to validate names), never the reverse
    from .config import ModelConfig

# --- noise prior --------------------------------------------------------------------------------

SQRT3 = math.sqrt(3.0)


def _uniform(n: int, dim: int, gen: torch.Generator) -> torch.Tensor:
    # U(-√3, √3) has unit variance, so both priors feed G inputs of the same scale.
    return (torch.rand(n, dim, generator=gen) * 2 - 1) * SQRT3


def _gaussian(n: int, dim: int, gen: torch.Generator) -> torch.Tensor:
    return torch.randn(n, dim, generator=gen)


PRIORS: dict[str, Callable[[int, int, torch.Generator], torch.Tensor]] = {
    "uniform": _uniform,
    "gaussian": _gaussian,
}


def sample_noise(prior: str, n: int, dim: int, gen: torch.Generator) -> torch.Tensor:
    """n draws of z from the prior, on the CPU from `gen` (so every device sees the same z)."""
    return PRIORS[prior](n, dim, gen)


# --- building blocks ----------------------------------------------------------------------------

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}


MAXOUT_WITH_INDICES = True  # `make bench` turns it off to measure what max-with-indices buys


class Maxout(nn.Module):
    """Maxout units (Goodfellow et al., 2013): each output is the max over `pieces` linear pieces."""

    def __init__(self, in_features: int, units: int, pieces: int):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(x)
        # max with indices: its backward scatters into the winning piece, cheaper than amax's
        # (which splits the gradient among exact ties, a case of measure zero).
        y = y.view(*y.shape[:-1], self.units, self.pieces)
        return y.max(-1).values if MAXOUT_WITH_INDICES else y.amax(-1)


class MaskSource:
    """Where one dropout layer's masks come from during training: a CPU generator of its own,
    drawn for the global batch and sliced to this process's rows, exactly like z. So a checkpoint
    restores them, and one process and P processes drop the same units of the same examples.

    `segments` > 1 says the input is that many batches stacked (real and fake through D in one
    pass): each segment gets the mask it would get in a pass of its own, in the same order."""

    def __init__(self, gen: torch.Generator, rank=None):
        from .distributed import SINGLE

        self.gen, self.rank, self.segments = gen, rank or SINGLE, 1

    def keep_mask(self, shape: torch.Size, keep: float, like: torch.Tensor) -> torch.Tensor:
        """A 0 or 1/keep tensor of `shape` (this rank's rows) on `like`'s device and dtype."""
        rows = shape[0] // self.segments * self.rank.world_size
        parts = [self.rank.take(torch.rand((rows, *shape[1:]), generator=self.gen)) for _ in range(self.segments)]
        u = parts[0] if len(parts) == 1 else torch.cat(parts)
        # In place on the uniform draws: u < keep as 0/1, scaled; no extra temporaries.
        return u.lt_(keep).mul_(1.0 / keep).to(device=like.device, dtype=like.dtype, non_blocking=True)


class Dropout(nn.Module):
    """Dropout (Srivastava et al., 2014) whose masks are part of the run's noise: with a
    `MaskSource` attached (training sessions attach one per layer) they come from it, else from
    torch's RNG."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p
        self.source: MaskSource | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.source is None:
            return nn.functional.dropout(x, self.p, True)
        return x * self.source.keep_mask(x.shape, 1.0 - self.p, x)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def dropout_layers(*modules: nn.Module) -> list[Dropout]:
    """Every gankit Dropout in the modules, in a fixed order (the order of their sources)."""
    return [m for module in modules for m in module.modules() if isinstance(m, Dropout)]


@contextlib.contextmanager
def segmented(module: nn.Module, n: int):
    """Inside, `module` is called on n batches stacked along rows (see MaskSource)."""
    sources = [d.source for d in dropout_layers(module) if d.source is not None]
    for src in sources:
        src.segments = n
    try:
        yield
    finally:
        for src in sources:
            src.segments = 1


def has_batch_norm(module: nn.Module) -> bool:
    """Batch statistics couple the examples of one pass, so such a net is never run on stacked batches."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def stackable(module: nn.Module, n: int) -> bool:
    """Whether two batches of n rows can go through `module` stacked in one pass and give what two
    passes give: no batch norm, and every pack and minibatch-std group falls inside one batch
    (n divisible by their sizes multiplied: a sufficient condition)."""
    if has_batch_norm(module):
        return False
    rows = 1
    for m in module.modules():
        rows *= m.pack if isinstance(m, Packed) else m.group if isinstance(m, MinibatchStd) else 1
    return n % rows == 0


def apply_max_norm(module: nn.Module, limit: float) -> None:
    """Rescale each unit's incoming weight vector to norm <= limit (pylearn2's max_col_norm, which
    the paper's discriminator used to keep SGD at lr 0.1 stable)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                norms = m.weight.norm(dim=1, keepdim=True)
                m.weight.mul_(torch.clamp(limit / norms.clamp_min(1e-12), max=1.0))


def _init_uniform(module: nn.Module, scale: float) -> None:
    """Weights U(-scale, scale), biases 0: the paper's initialization (pylearn2 irange)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.uniform_(m.weight, -scale, scale)
            nn.init.zeros_(m.bias)


# --- generators ---------------------------------------------------------------------------------

class MLPGenerator(nn.Module):
    """z -> hidden layers -> one example; sigmoid output for images in [0,1], linear otherwise."""

    def __init__(self, z_dim: int, hidden: list[int], out_shape: tuple[int, ...], activation: str = "relu",
                 batch_norm: bool = False, output: str = "linear", init_scale: float = 0.0,
                 output_bias: torch.Tensor | None = None):
        super().__init__()
        self.out_shape = tuple(out_shape)
        out_dim = math.prod(self.out_shape)
        layers: list[nn.Module] = []
        width = z_dim
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(ACTIVATIONS[activation]())
            width = h
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(width, out_dim)
        self.output = output
        if init_scale > 0:
            _init_uniform(self, init_scale)
        if output_bias is not None:
            with torch.no_grad():
                self.out.bias.copy_(output_bias.reshape(-1))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        y = self.out(self.body(z))
        if self.output == "sigmoid":
            y = torch.sigmoid(y)
        return y.view(-1, *self.out_shape)  # -1, not len(z): an exported graph keeps N free


# --- discriminators -----------------------------------------------------------------------------

class MLPDiscriminator(nn.Module):
    """example -> hidden layers (ReLU-family or maxout, optional dropout) -> one logit."""

    def __init__(self, in_shape: tuple[int, ...], hidden: list[int], activation: str = "relu",
                 dropout: float = 0.0, input_dropout: float = 0.0, maxout_pieces: int = 0,
                 init_scale: float = 0.0, max_norm: float = 0.0):
        super().__init__()
        self.max_norm = max_norm  # > 0: a constraint applied after every optimizer step
        layers: list[nn.Module] = [nn.Flatten()]
        if input_dropout > 0:
            layers.append(Dropout(input_dropout))
        width = math.prod(in_shape)
        for h in hidden:
            if maxout_pieces:
                layers.append(Maxout(width, h, maxout_pieces))
            else:
                layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        if init_scale > 0:
            _init_uniform(self, init_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class ConvGenerator(nn.Module):
    """DCGAN-style (Radford et al., 2016): z -> 2w×(s/4)² -> upsample ×2 -> w×(s/2)² -> C×s²,
    batch norm and ReLU inside, sigmoid out. For square images whose side is divisible by 4."""

    def __init__(self, z_dim: int, out_shape: tuple[int, ...], width: int = 64,
                 output_bias: torch.Tensor | None = None):
        super().__init__()
        c, h, w = out_shape
        self.out_shape, self.s0 = tuple(out_shape), h // 4
        self.fc = nn.Sequential(nn.Linear(z_dim, 2 * width * self.s0 * self.s0), nn.BatchNorm1d(2 * width * self.s0 * self.s0), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, c, 4, stride=2, padding=1),
        )
        self.width = width
        self.out_bias = nn.Parameter(torch.zeros(out_shape) if output_bias is None else output_bias.reshape(out_shape).clone())

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = self.fc(z).view(-1, 2 * self.width, self.s0, self.s0)
        return torch.sigmoid(self.up(h) + self.out_bias)


class ConvDiscriminator(nn.Module):
    """Two stride-2 convolutions with leaky ReLU, then a linear logit (DCGAN's D, shortened)."""

    def __init__(self, in_shape: tuple[int, ...], width: int = 64, dropout: float = 0.0):
        super().__init__()
        c, h, w = in_shape
        self.net = nn.Sequential(
            nn.Conv2d(c, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten(), Dropout(dropout), nn.Linear(2 * width * (h // 4) * (w // 4), 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


# --- conditional nets: G and D take the class c -------------------------------------------------

def _classes(c: torch.Tensor | None, who: str) -> torch.Tensor:
    if c is None:
        from .errors import GankitError

        raise GankitError(f"a conditional {who} needs a class label for each example (pass c)")
    return c


class ConditionalGenerator(nn.Module):
    """G(z, c) = G_base([z; onehot(c)]): the class joins the noise at G's input (Mirza & Osindero,
    2014). `base` is any generator built for z_dim + num_classes inputs; its first linear layer
    then holds one learned vector per class, added to what z gives it."""

    def __init__(self, base: nn.Module, num_classes: int):
        super().__init__()
        self.base, self.num_classes = base, num_classes

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        onehot = nn.functional.one_hot(_classes(c, "generator"), self.num_classes).to(z.dtype)
        return self.base(torch.cat([z, onehot], 1))


class ConditionalConvGenerator(ConvGenerator):
    """ConvGenerator(z, c): the class's one-hot beside z, and conditional batch norm (de Vries et
    al., 2017; the generator of Miyato & Koyama, 2018): after each batch norm, a per-class gain and
    shift, y = BN(h) · (1 + γ_c) + β_c, starting at γ_c = β_c = 0, so the class also shapes every
    layer's features, not only the first one's input."""

    def __init__(self, num_classes: int, z_dim: int, out_shape: tuple[int, ...], width: int = 64,
                 output_bias: torch.Tensor | None = None):
        super().__init__(z_dim + num_classes, out_shape, width, output_bias)
        self.num_classes = num_classes
        widths = (self.fc[1].num_features, self.up[1].num_features)
        self.gains = nn.ModuleList(nn.Embedding(num_classes, w) for w in widths)
        self.shifts = nn.ModuleList(nn.Embedding(num_classes, w) for w in widths)
        for e in (*self.gains, *self.shifts):
            nn.init.zeros_(e.weight)

    def _cbn(self, i: int, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shape = (len(c), -1) + (1,) * (h.ndim - 2)
        return h * (1 + self.gains[i](c).view(shape)) + self.shifts[i](c).view(shape)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        c = _classes(c, "generator")
        h = self.fc[0](torch.cat([z, nn.functional.one_hot(c, self.num_classes).to(z.dtype)], 1))
        h = self.fc[2](self._cbn(0, self.fc[1](h), c)).view(len(z), 2 * self.width, self.s0, self.s0)
        h = self.up[2](self._cbn(1, self.up[1](self.up[0](h)), c))
        return torch.sigmoid(self.up[3](h) + self.out_bias)


class ProjectionDiscriminator(nn.Module):
    """A projection discriminator (Miyato & Koyama, 2018): logit = ψ(φ(x)) + ⟨embed(c), φ(x)⟩.

    φ is the wrapped discriminator's `net` up to its last hidden layer and ψ its final linear unit,
    so D(x, c) is the unconditional logit plus how well x's features match class c's direction.
    The class embedding starts at ψ's scale (PyTorch's Linear init: U(±1/√width)), so the projection
    term neither dominates nor vanishes at the start.
    """

    def __init__(self, base: nn.Module, num_classes: int):
        super().__init__()
        self.phi, self.psi = base.net[:-1], base.net[-1]
        if not isinstance(self.psi, nn.Linear) or self.psi.out_features != 1:
            raise TypeError(f"{type(base).__name__}.net must end in its logit layer, Linear(width, 1)")
        self.max_norm = getattr(base, "max_norm", 0.0)  # the paper D's weight constraint still applies
        self.embed = nn.Embedding(num_classes, self.psi.in_features)
        bound = 1.0 / math.sqrt(self.psi.in_features)
        nn.init.uniform_(self.embed.weight, -bound, bound)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = self.phi(x)
        return self.psi(h).squeeze(-1) + (self.embed(_classes(c, "discriminator")) * h).sum(-1)


def _require_conv_shape(shape, kind, which):
    from .errors import GankitError

    if kind != "image" or len(shape) != 3 or shape[1] % 4 or shape[2] % 4:
        raise GankitError(f"model.{which} = conv needs images with sides divisible by 4, not shape {shape} "
                          f"(use model.{which} = mlp, or data.size divisible by 4)")


# --- remedies for mode collapse, around any discriminator -----------------------------------------

class MinibatchStd(nn.Module):
    """Minibatch standard deviation (Karras et al. 2018, section 3): one more feature per example,
    the standard deviation of every feature over its group of `group` consecutive examples,
    averaged over features. A collapsed G gives groups with little spread, which D can then see.
    Groups are consecutive rows, so they never straddle two processes' slices of a batch."""

    def __init__(self, group: int):
        super().__init__()
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, g = len(x), min(self.group, len(x))
        if n % g:
            from .errors import GankitError

            raise GankitError(f"model.minibatch_std: a batch of {n} does not split into groups of {g} "
                              f"(choose a group size that divides train.batch_size / model.pack per process)")
        y = x.float().reshape(n // g, g, *x.shape[1:])
        std = (y.var(1, unbiased=False) + 1e-8).sqrt().flatten(1).mean(1)  # one value per group
        feature = std.repeat_interleave(g).to(x.dtype).reshape(n, 1, *([1] * (x.dim() - 2)))
        return torch.cat([x, feature.expand(n, 1, *x.shape[2:])], 1)

    def extra_repr(self) -> str:
        return f"group={self.group}"


class Packed(nn.Module):
    """PacGAN (Lin et al. 2018): D judges `pack` examples at once, concatenated along their first
    axis (features, or channels for images); consecutive rows form a pack, so real examples are
    packed with real ones and fakes with fakes. D returns one output per pack."""

    def __init__(self, inner: nn.Module, pack: int):
        super().__init__()
        self.inner, self.pack = inner, pack
        self.max_norm = getattr(inner, "max_norm", 0.0)  # the paper D's weight constraint still applies

    def forward(self, x: torch.Tensor, *cond) -> torch.Tensor:
        if cond:
            from .errors import GankitError

            raise GankitError("model.pack does not pack class labels; use it with unconditional runs")
        n = len(x)
        if n % self.pack:
            from .errors import GankitError

            raise GankitError(f"model.pack = {self.pack} needs batches divisible by it, got {n} examples "
                              f"(choose train.batch_size divisible by model.pack times the number of processes)")
        return self.inner(x.reshape(n // self.pack, self.pack * x.shape[1], *x.shape[2:]))

    def extra_repr(self) -> str:
        return f"pack={self.pack}"


def add_minibatch_std(D: nn.Module, group: int) -> nn.Module:
    """Insert a MinibatchStd feature before D's output layer. The new output weight on it starts
    at 0, so D starts as the same function it was built as."""
    net = getattr(D, "net", None)
    if not isinstance(net, nn.Sequential) or not isinstance(net[-1], nn.Linear):
        from .errors import GankitError

        raise GankitError(f"model.minibatch_std needs a discriminator whose last layer is linear (mlp, maxout, conv), "
                          f"not {type(D).__name__}")
    last = net[-1]
    out = nn.Linear(last.in_features + 1, last.out_features)
    with torch.no_grad():
        out.weight.zero_()
        out.weight[:, :-1].copy_(last.weight)
        out.bias.copy_(last.bias)
    D.net = nn.Sequential(*net[:-1], MinibatchStd(group), out)
    return D


def check_batch(cfg: ModelConfig, local_batch: int) -> None:
    """Refuse, before training starts, a per-process batch that packs or groups unevenly."""
    from .errors import GankitError

    pack, group = getattr(cfg, "pack", 1), getattr(cfg, "minibatch_std", 0)
    if local_batch % pack:
        raise GankitError(f"config key model.pack ({pack}) must divide the batch of each process ({local_batch})")
    packs = local_batch // pack
    if group and packs % min(group, packs):
        raise GankitError(f"config key model.minibatch_std ({group}) must divide the {packs} examples D sees "
                          f"per process (train.batch_size / model.pack / processes)")


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalization (Miyato et al. 2018) of every linear and convolutional layer: each
    weight is divided by its largest singular value, estimated by one power iteration per forward
    pass in training mode. The iteration's vectors u and v are buffers of the state dict, so a
    checkpoint restores them and a resumed run continues bit for bit."""
    from torch.nn.utils.parametrizations import spectral_norm

    for m in list(module.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            spectral_norm(m)
    return module


# --- registry: config -> nets -------------------------------------------------------------------

def _output_for(kind: str) -> str:
    return "sigmoid" if kind == "image" else "linear"


def _pixel_logits(pixel_mean: torch.Tensor | None) -> torch.Tensor | None:
    if pixel_mean is None:
        return None
    p = pixel_mean.clamp(1e-3, 1 - 1e-3)  # a pixel that is always 0 would give logit -inf
    return torch.log(p) - torch.log1p(-p)


def _mlp_g(cfg: ModelConfig, shape, kind, pixel_mean):
    return MLPGenerator(cfg.z_dim, cfg.g_hidden, shape, cfg.activation, cfg.batch_norm, _output_for(kind),
                        cfg.init_scale_g, _pixel_logits(pixel_mean) if kind == "image" else None)


def _paper_g(cfg: ModelConfig, shape, kind, pixel_mean):
    # Goodfellow et al.'s MNIST generator: 1200-1200 ReLU, sigmoid out, U(-0.05, 0.05), output
    # bias at the logit of the mean training pixel so G starts at the average image.
    return MLPGenerator(cfg.z_dim, [1200, 1200], shape, "relu", False, _output_for(kind), 0.05,
                        _pixel_logits(pixel_mean) if kind == "image" else None)


def _mlp_d(cfg: ModelConfig, shape, kind, pixel_mean):
    return MLPDiscriminator(shape, cfg.d_hidden, cfg.activation, cfg.d_dropout, cfg.d_input_dropout, 0, cfg.init_scale_d)


def _maxout_d(cfg: ModelConfig, shape, kind, pixel_mean):
    return MLPDiscriminator(shape, cfg.d_hidden, cfg.activation, cfg.d_dropout, cfg.d_input_dropout,
                            cfg.maxout_pieces, cfg.init_scale_d)


def _paper_d(cfg: ModelConfig, shape, kind, pixel_mean):
    # The paper's MNIST discriminator: maxout 240x5 -> maxout 240x5 -> 1, U(-0.005, 0.005);
    # dropout keeps 80% of inputs and 50% of hidden units; unit weight norms at most 1.9365.
    return MLPDiscriminator(shape, [240, 240], "relu", 0.5, 0.2, 5, 0.005, max_norm=1.9365)


def _conv_g(cfg: ModelConfig, shape, kind, pixel_mean):
    _require_conv_shape(shape, kind, "g")
    return ConvGenerator(cfg.z_dim, shape, cfg.conv_width, _pixel_logits(pixel_mean))


def _conv_d(cfg: ModelConfig, shape, kind, pixel_mean):
    _require_conv_shape(shape, kind, "d")
    return ConvDiscriminator(shape, cfg.conv_width, cfg.d_dropout)


GENERATORS = {"mlp": _mlp_g, "paper-mnist": _paper_g, "conv": _conv_g}
DISCRIMINATORS = {"mlp": _mlp_d, "maxout": _maxout_d, "paper-mnist": _paper_d, "conv": _conv_d}


def build_generator(cfg: ModelConfig, shape: tuple[int, ...], kind: str,
                    pixel_mean: torch.Tensor | None = None, num_classes: int = 0) -> nn.Module:
    """G for one example shape; `pixel_mean` (images) sets the output bias where the net asks.
    With `model.conditional`, G(z, c) also takes the class, one of `num_classes`."""
    if not cfg.conditional:
        return GENERATORS[cfg.g](cfg, tuple(shape), kind, pixel_mean)
    _check_num_classes(num_classes)
    if cfg.g == "conv":
        _require_conv_shape(shape, kind, "g")
        return ConditionalConvGenerator(num_classes, cfg.z_dim, tuple(shape), cfg.conv_width, _pixel_logits(pixel_mean))
    wider = dataclasses.replace(cfg, z_dim=cfg.z_dim + num_classes)  # z and the class's one-hot
    return ConditionalGenerator(GENERATORS[cfg.g](wider, tuple(shape), kind, pixel_mean), num_classes)


def build_discriminator(cfg: ModelConfig, shape: tuple[int, ...], kind: str, num_classes: int = 0) -> nn.Module:
    """D for one example shape, with the config's remedies: packing (D's input is `pack`
    examples), a minibatch-std feature, spectral normalization; with `model.conditional`, a
    projection discriminator D(x, c)."""
    shape = tuple(shape)
    pack = getattr(cfg, "pack", 1)
    D = DISCRIMINATORS[cfg.d](cfg, (pack * shape[0], *shape[1:]), kind, None)
    if getattr(cfg, "minibatch_std", 0):
        D = add_minibatch_std(D, cfg.minibatch_std)
    if cfg.conditional:
        _check_num_classes(num_classes)
        D = ProjectionDiscriminator(D, num_classes)
    if getattr(cfg, "spectral_norm", False):
        D = apply_spectral_norm(D)
    return Packed(D, pack) if pack > 1 else D


def _check_num_classes(num_classes: int) -> None:
    if num_classes < 2:
        from .errors import GankitError

        raise GankitError(f"config key model.conditional = true needs a data set with at least two classes "
                          f"(got {num_classes}); set model.conditional = false or use a labelled data set")
