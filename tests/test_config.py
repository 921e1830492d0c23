import pytest
from helpers import CONFIGS

from gankit import config
from gankit.errors import GankitError


def test_every_shipped_config_loads():
    files = sorted(CONFIGS.glob("*.toml"))
    assert files
    for f in files:
        config.load(f)


def test_toml_round_trip_keeps_every_key():
    cfg = config.load(CONFIGS / "ring8-gan.toml", ["train.steps=7", "model.g_hidden=[3, 4]"])
    again = config.from_toml_text(cfg.to_toml())
    assert again == cfg and again.train.steps == 7 and again.model.g_hidden == [3, 4]


@pytest.mark.parametrize("item, key", [
    ("no.such.key=1", "no.such.key"),
    ("train.stpes=3", "train.stpes"),
    ("train.batch_size=-4", "train.batch_size"),
    ("train.k=0", "train.k"),
    ("train.steps=abc", "train.steps"),
    ("seed=1.5", "seed"),
    ("precision=fp8", "precision"),
    ("train.ema=1", "train.ema"),
    ("train.unroll=-1", "train.unroll"),
    ("train.r1_gamma=-0.1", "train.r1_gamma"),
    ("train.gp_weight=-1", "train.gp_weight"),
    ("model.pack=0", "model.pack"),
    ("model.pack=3", "train.batch_size"),  # ring8's batch of 256 does not split into packs of 3
    ("model.minibatch_std=-2", "model.minibatch_std"),
])
def test_bad_overrides_name_the_key(item, key):
    with pytest.raises(GankitError, match=key.replace(".", r"\.")):
        config.load(CONFIGS / "ring8-gan.toml", [item])


@pytest.mark.parametrize("item, key, registry", [
    ("train.loss=wasserstein", "train.loss", "loss"), ("model.g=vit", "model.g", "net"),
    ("model.d=vit", "model.d", "net"), ("model.g=maxout", "model.g", "generator"),
    ("model.prior=cauchy", "model.prior", "prior"), ("model.activation=gelu", "model.activation", "activation"),
])
def test_names_are_checked_where_they_are_used_and_the_error_names_the_key(tmp_path, item, key, registry):
    """The config holds names without knowing the registries (config imports no nets or losses);
    training checks them before it reads data or writes a file, and says which key was wrong."""
    from gankit.train import train

    cfg = config.load(CONFIGS / "ring8-gan.toml", [item])  # a name is only a string here
    with pytest.raises(GankitError, match=rf"config key {key.replace('.', '[.]')}: .*{registry}"):
        train(cfg, tmp_path / "run", quiet=True)
    assert not (tmp_path / "run").exists()


def test_unknown_key_in_file_is_named(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[train]\nsteps = 3\nwarp = 9\n")
    with pytest.raises(GankitError, match=r"train\.warp"):
        config.load(f)


def test_malformed_and_missing_files(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("seed = [unclosed\n")
    with pytest.raises(GankitError, match="not valid TOML"):
        config.load(f)
    with pytest.raises(GankitError, match="not found"):
        config.load(tmp_path / "nope.toml")


def test_set_values_are_typed():
    cfg = config.load(None, ["train.loss=minimax", "optim.lr_g=1", "model.batch_norm=true", "data.name=grid25"])
    assert cfg.train.loss == "minimax" and cfg.optim.lr_g == 1.0 and isinstance(cfg.optim.lr_g, float)
    assert cfg.model.batch_norm is True and cfg.data.name == "grid25"


def test_type_errors_read_as_english():
    with pytest.raises(GankitError, match="config key train.steps must be an integer, got 'many'"):
        config.load(None, ["train.steps=many"])
    with pytest.raises(GankitError, match="must be true or false"):
        config.load(None, ["model.batch_norm=3"])


def test_changed_keys_names_what_differs():
    a, b = config.load(None, []), config.load(None, ["model.g_hidden=[8]", "train.steps=3"])
    assert config.changed_keys(a, b) == ["model.g_hidden: [256, 256] -> [8]"]
