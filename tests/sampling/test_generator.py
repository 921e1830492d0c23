"""gankit.load_generator and the Generator module: z (or a count) -> samples in data units, EMA
weights by default, classes for conditional runs."""

import numpy as np
import pytest
import torch
from helpers import CONFIGS
from torch import nn

import gankit
from gankit import checkpoint, config, nets
from gankit.errors import GankitError
from gankit.sampling import Generator, generate, load_generator, sample
from gankit.train import train

TINY = ["train.steps=20", "train.batch_size=32", "train.log_every=10", "train.sample_every=0",
        "train.checkpoint_every=10", "model.g_hidden=[16]", "model.d_hidden=[16]", "threads=1"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sampling") / "heights"
    train(config.load(CONFIGS / "heights.toml", TINY), out, quiet=True)
    return out


def with_ema(run, tmp_path):
    """A copy of the run's latest checkpoint with a G_ema key: G's weights scaled, so it differs."""
    state = checkpoint.load(run / "checkpoints" / "latest.pt")
    state["G_ema"] = {k: v * 0.5 if v.is_floating_point() else v for k, v in state["G"].items()}
    path = tmp_path / "ema.pt"
    checkpoint.save(state, path)
    return path, state


def test_a_count_or_z_gives_samples_in_data_units(run):
    G = gankit.load_generator(run)
    assert isinstance(G, Generator) and isinstance(G, nn.Module)
    assert G.kind == "points" and G.shape == (1,) and G.columns == ["height_cm"] and G.step == 20
    x = G(500, seed=3)
    assert x.shape == (500, 1) and x.dtype == torch.float32
    # The same z by hand: the net's output (training units) times the data's scale plus its shift.
    z, _ = G.seeded_noise(500, seed=3)
    state = checkpoint.load(run / "checkpoints" / "latest.pt")
    net = nets.build_generator(G.config.model, (1,), "points")
    net.load_state_dict(state["G"])
    with torch.no_grad():
        by_hand = net.eval()(z) * state["data"]["scale"] + state["data"]["shift"]
    torch.testing.assert_close(G(z), by_hand)
    torch.testing.assert_close(x, by_hand)
    assert 100 < float(x.median()) < 250  # centimetres, not standard units


def test_the_seed_fixes_the_samples_and_draw_equals_sample(run):
    G = load_generator(run)
    a, b = G.draw(2500, seed=1), G.draw(2500, seed=1)
    assert np.array_equal(a, b) and not np.array_equal(a, G.draw(2500, seed=2))
    assert np.array_equal(a, sample(run, 2500, seed=1)) and a.dtype == np.float32
    streamed = np.concatenate([x.numpy() for x in G.batches(2500, seed=1)])
    assert np.array_equal(a, streamed)


def test_ema_weights_are_used_when_present(run, tmp_path):
    path, state = with_ema(run, tmp_path)
    G = load_generator(run, str(path))
    assert G.ema and G.provenance() == {"checkpoint": str(path), "step": 20, "ema": True}
    assert torch.equal(G.net.out.weight, state["G_ema"]["out.weight"])
    plain = load_generator(run, str(path), ema=False)
    assert not plain.ema and torch.equal(plain.net.out.weight, state["G"]["out.weight"])
    z = G.noise(10)
    assert not torch.equal(G(z), plain(z))
    with pytest.raises(GankitError, match="no EMA weights"):
        load_generator(run, ema=True)
    assert not load_generator(run).ema


class TwoClassNet(nn.Module):
    """A stand-in conditional G(z, c): class 0 near -10, class 1 near +10."""

    def forward(self, z, c):
        return (z[:, :1] * 0.01 + torch.where(c[:, None] == 1, 10.0, -10.0)).float()

    def parameters(self, recurse=True):
        yield torch.zeros(1)


def conditional(run):
    G = load_generator(run)
    cfg = G.config
    cfg.model.conditional = True  # the key other work adds; read with getattr
    info = {**G.info, "num_classes": 2, "shift": torch.zeros(1), "scale": torch.ones(1)}
    return Generator(TwoClassNet(), info, cfg, G.step, where="cgan")


def test_conditional_runs_take_a_class_or_draw_one_uniformly(run):
    G = conditional(run)
    assert G.conditional and G.num_classes == 2
    assert (G(200, c=1, seed=0) > 0).all() and (G(200, c=0, seed=0) < 0).all()
    mixed = G.draw(4000, seed=0)
    share = float((mixed > 0).mean())
    assert 0.45 < share < 0.55  # uniform over the two classes
    with pytest.raises(GankitError, match="--class 2 is out of range: cgan has classes 0..1"):
        G(5, c=2)
    with pytest.raises(GankitError, match="not a conditional run"):
        load_generator(run)(5, c=0)


def test_generate_restores_training_mode_and_batches():
    G = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).train()
    info = {"kind": "points", "scale": torch.ones(4) * 2, "shift": torch.ones(4)}
    z = torch.randn(10, 3)
    a = generate(G, z, info)
    assert G.training and torch.equal(a, generate(G, z, info, batch=3))
    with torch.no_grad():
        torch.testing.assert_close(a, G.eval()(z) * 2 + 1)


# --- sample i depends only on (seed, i) (issue 25) -----------------------------------------------

def test_sample_i_depends_only_on_the_seed_and_i_whatever_n(run):
    """docs/guide.md promised it, torch's normal stream broke it: --n 7 and --n 2500 with --seed 5
    differed. Every n, batch and entry point gives the same rows, bit for bit."""
    G = load_generator(run)
    full = G.draw(2500, seed=5)
    for n in (1, 2, 3, 7, 999, 1000, 1001, 2345):
        assert np.array_equal(G.draw(n, seed=5), full[:n]), n
    assert np.array_equal(G(7, seed=5).numpy(), full[:7])
    assert np.array_equal(sample(run, 13, seed=5), full[:13])
    pieces = np.concatenate([x.numpy() for x in G.batches(2500, seed=5, batch=333)])
    assert np.array_equal(pieces, full)
    assert not np.array_equal(G.draw(7, seed=6), full[:7])


def test_the_noise_of_a_seed_is_drawn_in_blocks_from_their_own_generators(run):
    """An independent computation of the rule docs/guide.md states: block b of BLOCK rows comes
    from its own torch generator, seeded from (seed, b); sample i is row i % BLOCK of block i // BLOCK."""
    from gankit.sampling.generator import BLOCK, block_seed

    G = load_generator(run)
    z, c = G.seeded_noise(BLOCK + 5, seed=9)
    assert c is None and z.shape == (BLOCK + 5, G.z_dim)
    for b in (0, 1):
        gen = torch.Generator().manual_seed(block_seed(9, b))
        block = nets.sample_noise(G.config.model.prior, BLOCK, G.z_dim, gen)
        assert torch.equal(z[b * BLOCK:(b + 1) * BLOCK], block[:len(z) - b * BLOCK])
    assert np.array_equal(G(z).numpy(), G.draw(BLOCK + 5, seed=9))
    assert len({block_seed(9, b) for b in range(100)} | {block_seed(s, 0) for s in range(100)}) == 199


def test_a_conditional_runs_classes_depend_only_on_the_seed_and_i(run):
    G = conditional(run)
    full = G.draw(2500, seed=5)
    for n in (1, 7, 1001):  # classes used to differ for any n not a multiple of 1,000
        assert np.array_equal(G.draw(n, seed=5), full[:n]), n
    z, c = G.seeded_noise(2500, seed=5)
    assert torch.equal((torch.from_numpy(full)[:, 0] > 0).long(), c)
    # --class C keeps each sample's z: only the class changes
    ones = G.draw(50, seed=5, c=1)
    assert np.allclose(ones[:, 0] - 10.0, full[:50, 0] - np.where(full[:50, 0] > 0, 10.0, -10.0), atol=1e-5)


@pytest.mark.parametrize("seed", [-1, 2 ** 64, 99999999999999999999999])
def test_a_seed_out_of_range_is_one_line(run, seed):
    """`sample --seed 99999999999999999999999` was an overflow traceback from torch's generator."""
    G = load_generator(run)
    with pytest.raises(GankitError, match=r"--seed must be an integer from 0 to 2\^64 - 1"):
        G.draw(3, seed=seed)


def test_truncation_is_psi_times_the_seeded_z_in_every_way_of_drawing(run):
    G = load_generator(run)
    assert G.config.model.prior == "gaussian"
    z, _ = G.seeded_noise(300, seed=4)
    want = G(0.6 * z)  # by hand: the seed's z, scaled, through G
    torch.testing.assert_close(G(300, seed=4, truncation=0.6), want)
    torch.testing.assert_close(G(z, truncation=0.6), want)
    assert np.array_equal(G.draw(300, seed=4, truncation=0.6), want.numpy())
    T = G.truncated(0.6)
    assert np.array_equal(T.draw(300, seed=4), want.numpy()) and T.net is G.net
    assert G.truncation is None and T.provenance()["truncation"] == 0.6 and "truncation" not in G.provenance()
    assert np.array_equal(sample(run, 300, seed=4, truncation=0.6), want.numpy())
    # Fidelity for variety: samples come closer together as ψ falls.
    spread = [float(G(2000, seed=0, truncation=psi).std()) for psi in (1.0, 0.5, 0.1)]
    assert spread[0] > spread[1] > spread[2]
    with pytest.raises(GankitError, match=r"\(0, 1\]"):
        G.draw(10, truncation=1.5)


@pytest.fixture(scope="module")
def digit_runs(run, tmp_path_factory):
    """Every kind of run the seed guarantee covers: points (heights), images, conditional images."""
    base = tmp_path_factory.mktemp("kinds")
    small = TINY + ["model.g_hidden=[32]", "model.d_hidden=[32]"]
    train(config.load(CONFIGS / "digits.toml", small), base / "digits", quiet=True)
    train(config.load(CONFIGS / "digits.toml", small + ["model.conditional=true"]), base / "cdigits", quiet=True)
    return {"points": run, "images": base / "digits", "conditional": base / "cdigits"}


@pytest.mark.parametrize("kind", ["points", "images", "conditional"])
def test_gankit_sample_n_7_is_the_first_7_of_n_1500_with_truncation_too(digit_runs, kind, tmp_path, capsys):
    """The seed guarantee as a user meets it: `gankit sample --n 7` and `--n 1500` (more than a noise
    block of 1,000) with the same --seed agree bit for bit on their first 7 rows, with and without
    --truncation, for points, images and a conditional run's drawn classes alike; and ψ does change them."""
    from gankit.cli import main

    run = digit_runs[kind]
    got = {}
    for psi in (None, "0.7"):
        for n in (7, 1500):
            out = tmp_path / f"{n}-{psi}.npy"
            extra = ["--truncation", psi] if psi else []
            assert main(["sample", str(run), "--n", str(n), "--seed", "5", "--out", str(out), *extra]) == 0
            got[n, psi] = np.load(out)
        assert got[1500, psi].shape[0] == 1500
        assert np.array_equal(got[7, psi], got[1500, psi][:7]), (kind, psi)
    assert not np.array_equal(got[7, None], got[7, "0.7"])
    G = load_generator(run)
    z, c = G.seeded_noise(1500, seed=5)  # by hand: the seed's z scaled by ψ, its drawn classes, through G
    want = G(0.7 * z[1490:], None if c is None else c[1490:]).numpy()
    np.testing.assert_allclose(got[1500, "0.7"][1490:], want, rtol=1e-5, atol=1e-6)
    capsys.readouterr()


@pytest.mark.parametrize("kind", ["images", "conditional"])
def test_drawn_samples_are_draw_bit_for_bit_in_any_slices(digit_runs, kind):
    G = load_generator(digit_runs[kind])
    c = torch.arange(1234) % 10 if kind == "conditional" else None
    whole = G.draw(1234, seed=3, c=c)
    lazy = G.lazy(1234, seed=3, c=c)
    assert len(lazy) == 1234 and tuple(lazy.shape) == whole.shape and lazy.ndim == 4
    for a, b in [(0, 1234), (0, 7), (95, 205), (999, 1001), (1200, 5000)]:  # across chunks and noise blocks
        assert np.array_equal(lazy[a:b].numpy(), whole[a:b]), (a, b)
    assert lazy[5:5].shape == (0, *whole.shape[1:])
    assert np.array_equal(lazy.numpy(), whole)
    with pytest.raises(TypeError):
        lazy[3]


def test_drawn_samples_refuse_what_draw_refuses_before_any_work(digit_runs):
    G = load_generator(digit_runs["images"])
    with pytest.raises(GankitError, match="positive number"):
        G.lazy(0)
    with pytest.raises(GankitError):
        G.lazy(10, seed=-1)
    with pytest.raises(GankitError):
        G.lazy(10, c=0)  # an unconditional run takes no class
