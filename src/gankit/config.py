"""Typed run configuration: dataclasses with defaults, TOML in, TOML out, `--set` overrides.

Every key is validated on load; an unknown key or a bad value raises GankitError naming the key.
Names that a registry holds (model.g, model.d, model.prior, model.activation, train.loss,
data.name) are checked where they are used, against that registry, with an error that still
names the key: the config needs no net, loss or data source to exist (docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from .errors import GankitError


@dataclass
class DataConfig:
    name: str = "ring8"
    dir: str = ""  # where the files are; "" = the data set's standard place
    n: int = 0  # toy/tabular: size of the training set (0 = the data set's default)
    channels: int = 0  # folder: 1 (grayscale) or 3 (RGB); 0 = decide from the images
    size: int = 32  # folder: images are resized to size x size
    cache_dir: str = ""  # folder: where decoded images are cached ("" = $GANKIT_CACHE/folders or ~/.cache/gankit/folders)
    mirror: bool = False  # images: each real image flipped left-right with probability 1/2 (StyleGAN2-ADA's --mirror)
    # Tables (csv:PATH): a column's type, else inferred: continuous | integer | categorical | boolean | ignore
    columns: dict[str, str] = field(default_factory=dict)
    header: str = "auto"  # csv: the first row holds column names: auto | yes | no
    encoding: str = ""  # csv: the file's text encoding ("" = UTF-8, else Latin-1)
    continuous: str = "modes"  # tables: numbers as mode-specific normalisation (modes) or quantiles (quantile)
    max_modes: int = 10  # tables, continuous = modes: at most this many Gaussian modes per column
    clip: bool = True  # tables: samples stay within each number column's training range
    holdout: float = 0.2  # tables: the share of rows held out (half validation, half test)

    def validate(self) -> None:
        _check(bool(self.name), "data.name", "must name a data set (see `gankit datasets`)")
        types = ("continuous", "integer", "categorical", "boolean", "ignore")
        for col, kind in self.columns.items():
            _check(kind in types, f"data.columns.{col}", f"must be one of {', '.join(types)}, got {kind!r}")
        _check(self.header in ("auto", "yes", "no"), "data.header", "must be auto, yes or no")
        _check(self.continuous in ("modes", "quantile"), "data.continuous", "must be modes or quantile")
        _check(1 <= self.max_modes <= 100, "data.max_modes", "must be between 1 and 100")
        _check(0 <= self.holdout < 1, "data.holdout", "must be in [0, 1)")
        _check(self.n >= 0, "data.n", "must be >= 0")
        _check(self.channels in (0, 1, 3), "data.channels", "must be 0 (auto), 1 or 3")
        _check(4 <= self.size <= 1024, "data.size", "must be between 4 and 1024")


@dataclass
class ModelConfig:
    g: str = "mlp"  # a net family of gankit.nets.NETS with a generator: mlp | paper-mnist | conv | ...
    d: str = "mlp"  # a net family with a discriminator: mlp | maxout | paper-mnist | conv | ...
    z_dim: int = 100
    prior: str = "uniform"  # uniform U(-sqrt3, sqrt3) | gaussian N(0, 1)
    g_hidden: list[int] = field(default_factory=lambda: [256, 256])
    d_hidden: list[int] = field(default_factory=lambda: [256, 256])
    activation: str = "relu"  # relu | leaky_relu | tanh | elu
    batch_norm: bool = False  # batch norm in G's hidden layers
    d_dropout: float = 0.0  # dropout on D's hidden units (mlp/maxout)
    d_input_dropout: float = 0.0
    maxout_pieces: int = 5
    conv_width: int = 64  # conv nets: channels of the widest layer next to the image
    # Nets that grow with the image (dcgan, resnet, light): channels of the hidden layer nearest the
    # image, doubled per octave towards 4×4 up to max_width (DCGAN's ngf = ndf = 64, cap 512).
    base_width: int = 64
    max_width: int = 512
    d_batch_norm: bool = True  # dcgan: batch norm in D after its first layer, as in Radford et al. (2016)
    init_scale_g: float = 0.0  # weights U(-s, s) when > 0, else PyTorch's default init
    init_scale_d: float = 0.0
    # Remedies for mode collapse, applied to any discriminator (gankit.nets.build_discriminator):
    spectral_norm: bool = False  # spectral normalization of D's layers (Miyato et al. 2018)
    pack: int = 1  # PacGAN (Lin et al. 2018): D judges `pack` examples at once; 1 = off
    minibatch_std: int = 0  # group size of a minibatch standard deviation feature in D (Karras et al. 2018); 0 = off
    # G and D take the class: G adds a learned class embedding to its first layer, D is a
    # projection discriminator. Needs a labelled data set (checked when the data is loaded).
    conditional: bool = False
    # Tables: G and D take CTGAN's conditional vector (a categorical value or several); G makes
    # each category through a Gumbel softmax of this temperature.
    cond_vector: bool = True
    tau: float = 0.2

    def validate(self) -> None:
        _check(bool(self.g), "model.g", "must name a net (gankit.nets.NETS)")
        _check(self.tau > 0, "model.tau", "must be > 0 (the Gumbel-softmax temperature, e.g. 0.2)")
        _check(bool(self.d), "model.d", "must name a net (gankit.nets.NETS)")
        _check(self.z_dim >= 1, "model.z_dim", "must be >= 1")
        _check(all(w >= 1 for w in self.g_hidden), "model.g_hidden", "widths must be >= 1")
        _check(all(w >= 1 for w in self.d_hidden), "model.d_hidden", "widths must be >= 1")
        _check(0 <= self.d_dropout < 1, "model.d_dropout", "must be in [0, 1)")
        _check(0 <= self.d_input_dropout < 1, "model.d_input_dropout", "must be in [0, 1)")
        _check(self.conv_width >= 1, "model.conv_width", "must be >= 1")
        _check(self.base_width >= 1, "model.base_width", "must be >= 1 (channels next to the image)")
        _check(self.max_width >= self.base_width, "model.max_width",
               f"must be >= model.base_width ({self.base_width}): it caps the channels that double from it")
        _check(self.maxout_pieces >= 1, "model.maxout_pieces", "must be >= 1")
        _check(self.init_scale_g >= 0, "model.init_scale_g", "must be >= 0")
        _check(self.init_scale_d >= 0, "model.init_scale_d", "must be >= 0")
        _check(self.pack >= 1, "model.pack", "must be >= 1 (1 = no packing)")
        _check(self.minibatch_std >= 0, "model.minibatch_std", "must be >= 0 (a group size; 0 = off)")
        _check(not (self.spectral_norm and self.d == "paper-mnist"), "model.spectral_norm",
               "replaces the paper-mnist discriminator's max-norm constraint; use model.d = maxout with it")


@dataclass
class TrainConfig:
    loss: str = "nonsaturating"  # minimax | nonsaturating | wgan-gp | hinge | lsgan | rpgan (gankit.losses.LOSSES)
    gp_weight: float = 10.0  # wgan-gp: λ, the gradient penalty's weight
    r1_gamma: float = 0.0  # any loss: γ of the R1 penalty γ/2 E‖∇D(x)‖² on real data (0 = off)
    r2_gamma: float = 0.0  # any loss: γ of the R2 penalty on generated data (0 = off); rpgan + R1 + R2 = R3GAN
    reg_every: int = 1  # R1 and R2 only in the D steps of every N-th G step, weighted ×N (StyleGAN2's lazy regularization)
    unroll: int = 0  # G's objective sees D after this many differentiable D updates (Metz et al. 2017); 0 = off
    ema: float = 0.0  # decay β of an exponential moving average of G's weights, updated after each G step; 0 = off
    k: int = 1  # discriminator steps per generator step
    batch_size: int = 100  # global minibatch size m
    steps: int = 5000  # generator steps
    time_limit: float = 0.0  # seconds; 0 = none. The run stops cleanly and saves when reached.
    checkpoint_every: int = 1000  # steps between RUN/checkpoints/latest.pt writes
    keep_every: int = 0  # also keep RUN/checkpoints/step-NNNNNNN.pt every N steps (0 = never)
    keep_checkpoints: int = 2  # step-NNNNNNN.pt of the newest N checkpoints, to fall back on (0 = latest.pt only)
    log_every: int = 50
    sample_every: int = 500  # steps between RUN/samples/*.png (0 = only at the end)
    eval_every: int = 0  # steps between in-training evaluations (0 = never)
    eval_n: int = 2000  # samples per in-training evaluation
    # Augmentation of everything D sees (gankit.augment): DiffAugment's translation, color, cutout on
    # every image; ADA's transforms ("ada" = all twelve, or by name) each with probability p.
    augment: str = ""  # e.g. "translation,color,cutout" (DiffAugment) or "ada"; "" = off
    augment_p: float = 0.0  # ADA: p at the start (held there when ada_target = 0)
    ada_target: float = 0.6  # ADA: the target of E[sign D(x)] on real images that moves p; 0 = p fixed
    ada_kimg: float = 500.0  # ADA: thousands of real images for p to move from 0 to 1 at most
    ada_interval: int = 4  # ADA: G steps between updates of p
    # Tables: training-by-sampling draws each condition's value with log frequencies (false: the
    # data's frequencies), and reveals each other categorical column with this probability.
    log_frequency: bool = True
    condition_extra: float = 0.25

    def validate(self) -> None:
        _check(0 <= self.condition_extra <= 1, "train.condition_extra", "must be in [0, 1]")
        _check(bool(self.loss), "train.loss", "must name a loss (gankit.losses.LOSSES)")
        _check(self.gp_weight >= 0, "train.gp_weight", "must be >= 0")
        _check(self.r1_gamma >= 0, "train.r1_gamma", "must be >= 0 (0 = off)")
        _check(self.r2_gamma >= 0, "train.r2_gamma", "must be >= 0 (0 = off)")
        _check(self.reg_every >= 1, "train.reg_every", "must be >= 1 (1 = R1 and R2 in every D step)")
        _check(self.unroll >= 0, "train.unroll", "must be >= 0 (unrolled D steps; 0 = off)")
        _check(0 <= self.ema < 1, "train.ema", "must be in [0, 1): the EMA decay per G step, e.g. 0.999 (0 = off)")
        _check(self.k >= 1, "train.k", "must be >= 1 (discriminator steps per generator step)")
        _check(self.batch_size >= 1, "train.batch_size", "must be >= 1")
        _check(0 <= self.steps <= MAX_STEPS, "train.steps", f"must be from 0 to {MAX_STEPS:,} generator steps")
        _check(self.time_limit >= 0, "train.time_limit", "must be >= 0 seconds (0 = none)")
        _check(self.checkpoint_every >= 1, "train.checkpoint_every", "must be >= 1")
        _check(self.keep_every >= 0, "train.keep_every", "must be >= 0")
        _check(self.keep_checkpoints >= 0, "train.keep_checkpoints", "must be >= 0 (0 = keep only latest.pt)")
        _check(self.log_every >= 1, "train.log_every", "must be >= 1")
        _check(self.sample_every >= 0, "train.sample_every", "must be >= 0")
        _check(self.eval_every >= 0, "train.eval_every", "must be >= 0")
        _check(self.eval_n >= 2, "train.eval_n", "must be >= 2")
        _check(0 <= self.augment_p <= 1, "train.augment_p", "must be in [0, 1]")
        _check(0 <= self.ada_target < 1, "train.ada_target", "must be in [0, 1) (0 = p fixed at train.augment_p)")
        _check(self.ada_kimg > 0, "train.ada_kimg", "must be > 0 (thousands of images)")
        _check(self.ada_interval >= 1, "train.ada_interval", "must be >= 1 (G steps)")


@dataclass
class OptimConfig:
    name: str = "adam"  # adam | sgd
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5  # adam
    beta2: float = 0.999  # adam
    momentum: float = 0.5  # sgd: initial momentum
    momentum_final: float = 0.5  # sgd: momentum reached after momentum_epochs (linear ramp)
    momentum_epochs: float = 0.0
    lr_decay: float = 1.0  # lr_t = lr / lr_decay^t per update (the paper: 1.000004); 1 = constant
    lr_min: float = 0.0
    weight_decay: float = 0.0

    def validate(self) -> None:
        _check(self.name in ("adam", "sgd"), "optim.name", f"unknown optimizer {self.name!r}; one of ['adam', 'sgd']")
        _check(self.lr_g > 0, "optim.lr_g", "must be > 0")
        _check(self.lr_d > 0, "optim.lr_d", "must be > 0")
        _check(0 <= self.beta1 < 1, "optim.beta1", "must be in [0, 1)")
        _check(0 <= self.beta2 < 1, "optim.beta2", "must be in [0, 1)")
        _check(0 <= self.momentum < 1, "optim.momentum", "must be in [0, 1)")
        _check(0 <= self.momentum_final < 1, "optim.momentum_final", "must be in [0, 1)")
        _check(self.momentum_epochs >= 0, "optim.momentum_epochs", "must be >= 0")
        _check(self.lr_decay >= 1, "optim.lr_decay", "must be >= 1 (1 = no decay)")
        _check(self.lr_min >= 0, "optim.lr_min", "must be >= 0")
        _check(self.weight_decay >= 0, "optim.weight_decay", "must be >= 0")


@dataclass
class MetricsConfig:
    inception_weights: str = ""  # path to the Inception weights file for paper-comparable FID
    feature_cache: str = ""  # where feature nets and reference statistics are cached ("" = gankit.cache.cache_root())
    # the features fd, kid and prdc compare (unless inception_weights): auto = the classifier for
    # labelled sets, a contrastive net learnt from an unlabelled folder's images, random below 64 images
    feature_net: str = "auto"
    target: str = ""  # tables: the column machine-learning efficacy predicts (metric table)

    def validate(self) -> None:
        _check(self.feature_net in ("auto", "classifier", "contrastive", "random"), "metrics.feature_net",
               f"unknown feature net {self.feature_net!r}; one of auto, classifier, contrastive, random")


@dataclass
class Config:
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "fp32"  # fp32 | bf16 | auto (bf16 where the hardware has native bf16 matmul)
    threads: int = 0  # CPU threads for torch (0 = torch's default); tiny nets run fastest on 1
    compile: bool = False  # torch.compile G and D (inductor) at set-up; see BENCHMARKS.md for what it buys where
    channels_last: bool = False  # image nets in channels-last memory layout (NHWC): faster convolutions on CPUs and GPUs
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)

    def validate(self) -> "Config":
        _check(0 <= self.seed <= MAX_SEED, "seed", f"must be an integer from 0 to {MAX_SEED:,}")
        _check(self.device in ("auto", "cpu", "cuda"), "device", f"unknown device {self.device!r}; one of auto, cpu, cuda")
        _check(self.threads >= 0, "threads", "must be >= 0 (0 = torch's default)")
        _check(self.precision in ("fp32", "bf16", "auto"), "precision",
               f"unknown precision {self.precision!r}; one of fp32, bf16, auto")
        for section in (self.data, self.model, self.train, self.optim, self.metrics):
            section.validate()
        _check(self.train.batch_size % self.model.pack == 0, "train.batch_size",
               f"({self.train.batch_size}) must be divisible by model.pack ({self.model.pack}): D judges packs of that many")
        _check(not (getattr(self.model, "conditional", False) and self.model.pack > 1), "model.pack",
               "does not pack class labels: use it with unconditional runs (model.conditional = false)")
        return self

    def to_toml(self) -> str:
        return tomli_w.dumps(dataclasses.asdict(self))


MAX_STEPS = 10 ** 9  # G steps: a thousand times the longest GAN trainings; more is a typo
MAX_SEED = 10 ** 12  # the training streams derive their generators' seeds from it (train/streams.py)


def _check(ok: bool, key: str, why: str) -> None:
    if not ok:
        raise GankitError(f"config key {key} {why}")


def from_dict(raw: dict[str, Any]) -> Config:
    """Build a Config from nested dicts, checking every key and type."""
    return _build(Config, raw, "").validate()


def _build(cls: type, raw: dict[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            raise GankitError(f"unknown config key {dotted} (known keys in this section: {', '.join(sorted(names))})")
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            if not isinstance(value, dict):
                raise GankitError(f"config key {dotted} must be a table of keys, got {value!r}")
            kwargs[key] = _build(kind, value, dotted + ".")
        else:
            kwargs[key] = _coerce(value, kind, dotted)
    return cls(**kwargs)


def _coerce(value: Any, kind: Any, key: str) -> Any:
    origin = typing.get_origin(kind)
    if origin is dict:
        _, item = typing.get_args(kind)
        if not isinstance(value, dict):
            raise GankitError(f"config key {key} must be a table, e.g. {{ age = \"integer\" }}, got {value!r}")
        return {str(k): _coerce(v, item, f"{key}.{k}") for k, v in value.items()}
    if origin is list:
        (item,) = typing.get_args(kind)
        if not isinstance(value, list):
            raise GankitError(f"config key {key} must be a list, got {value!r}")
        return [_coerce(v, item, key) for v in value]
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind is str:
        if isinstance(value, str):
            return value
    raise GankitError(f"config key {key} must be {_KIND_NAMES.get(kind, kind.__name__)}, got {value!r}")


_KIND_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise GankitError(f"{where} is not valid TOML: {e} (fix the file)") from None


def load(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Load a TOML config file (or the defaults when path is None) and apply `KEY=VALUE` overrides."""
    raw: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise GankitError(f"config file {p} not found (give an existing .toml file, e.g. configs/ring8.toml)")
        try:
            text = p.read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise GankitError(f"cannot read config file {p}: {e}") from None
        raw = parse_toml(text, f"config file {p}")
    for item in overrides:
        apply_override(raw, item)
    return from_dict(raw)


def apply_override(raw: dict[str, Any], item: str) -> None:
    """Apply one `dotted.key=value` to nested dicts; the value is read as TOML, else as a string."""
    if "=" not in item:
        raise GankitError(f"--set takes KEY=VALUE, got {item!r} (e.g. --set train.steps=2000)")
    key, text = item.split("=", 1)
    key = key.strip()
    parts = key.split(".")
    if not all(parts):
        raise GankitError(f"--set key {key!r} is not a dotted config key (e.g. train.steps)")
    # Check the path exists in the schema before writing, so a typo names itself.
    cls: Any = Config
    for i, part in enumerate(parts):
        if typing.get_origin(cls) is dict and i == len(parts) - 1:  # data.columns.age=integer
            cls = typing.get_args(cls)[1]
            break
        fields = {f.name: f for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
        if part not in fields:
            raise GankitError(f"unknown config key {key} (see a file in configs/ for the keys)")
        cls = typing.get_type_hints(cls)[part]
        if i < len(parts) - 1 and not dataclasses.is_dataclass(cls) and typing.get_origin(cls) is not dict:
            raise GankitError(f"unknown config key {key} ({'.'.join(parts[:i + 1])} has no sub-keys)")
    if dataclasses.is_dataclass(cls):
        raise GankitError(f"config key {key} is a section; set one of its keys, e.g. {key}.{dataclasses.fields(cls)[0].name}=...")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text  # bare words such as nonsaturating or ring8
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


# How long, how often, and where: changing them mid-run changes no update, so `--resume RUN --set`
# may change them (gankit.train.resume), and a checkpoint of a run may differ from RUN/config.toml
# in them (a step file written before such a resume). Keys not listed are refused by default, so a
# new key is safe until someone decides it may change mid-run.
RESUMABLE = (
    "train.steps", "train.time_limit", "train.checkpoint_every", "train.keep_checkpoints", "train.keep_every",
    "train.log_every", "train.sample_every", "train.eval_every", "train.eval_n",
    "train.ema",  # the average only watches G: G's and D's updates are the same with or without it
    "threads", "device", "data.dir", "data.cache_dir", "metrics.",
)


def resumable(key: str) -> bool:
    return any(key == k or (k.endswith(".") and key.startswith(k)) for k in RESUMABLE)


def flat(config: Config) -> dict[str, Any]:
    """{dotted key: value} of every key of a config."""
    out: dict[str, Any] = {}

    def walk(d: dict, prefix: str) -> None:
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            else:
                out[f"{prefix}{k}"] = v

    walk(dataclasses.asdict(config), "")
    return out


def what_differs(a: Config, b: Config) -> list[str]:
    """`key: a -> b` for every key that differs between two configs and changes what a run
    computes (every key but the RESUMABLE ones): two configs of one run differ in none."""
    fa, fb = flat(a), flat(b)
    return [f"{k}: {fa.get(k)!r} -> {fb.get(k)!r}" for k in sorted(set(fa) | set(fb))
            if fa.get(k) != fb.get(k) and not resumable(k)]


def changed_keys(old: Config, new: Config, sections: tuple[str, ...] = ("data", "model")) -> list[str]:
    """`key: old -> new` for every key of these sections that differs between two configs."""
    out = []
    for section in sections:
        a, b = dataclasses.asdict(getattr(old, section)), dataclasses.asdict(getattr(new, section))
        out += [f"{section}.{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return out


def from_toml_text(text: str) -> Config:
    return from_dict(parse_toml(text, "the config stored in the checkpoint"))
