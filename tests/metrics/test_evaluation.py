"""The metric registry: names checked in one place, duplicates refused, every key explained."""

import pytest

from gankit import data, metrics
from gankit.cli import build_parser
from gankit.errors import GankitError


def test_unknown_names_are_one_error_listing_the_known():
    with pytest.raises(GankitError, match=r"unknown metric\(s\) nope \(known: .*modes"):
        metrics.parse_names("modes,nope")
    with pytest.raises(GankitError, match="none given"):
        metrics.parse_names(" , ")
    assert metrics.parse_names(" fd, kid ,fd") == ["fd", "kid"]


def test_registries_refuse_a_duplicate_name():
    with pytest.raises(ValueError, match="already registered"):
        metrics.register_metric("modes")(lambda ctx: {})
    with pytest.raises(ValueError, match="already registered"):
        data.register("ring8", lambda c: None, lambda c: None)
    with pytest.raises(ValueError, match="already registered"):
        data.register("csv:", lambda c: None, lambda c: None)
    assert "ring8" in data.names() and "modes" in metrics.names()


def test_every_metric_has_a_summary_and_explains_its_keys():
    for name in metrics.names():
        assert metrics.info(name).summary and metrics.info(name).keys, name
    assert "3 standard deviations" in metrics.meaning("hq_percent")
    assert "column height_cm" in metrics.meaning("ks_height_cm")
    assert metrics.meaning("n_reference") and metrics.meaning("no_such_key") == ""


def test_evaluate_help_lists_the_metric_names(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--help"])
    text = capsys.readouterr().out
    for name in metrics.names():
        assert f"  {name} " in text, name


# --- warnings fit their metric (issue 25) ---------------------------------------------------------

def test_each_metric_says_what_few_real_examples_do_to_its_own_numbers(tmp_path):
    """Issue 25: ks, wasserstein, parzen and fd all warned "e.g. recall near 0 beside coverage near 1"."""
    import numpy as np

    from gankit import metrics

    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    np.savetxt(path, rng.normal(size=(300, 2)), delimiter=",", header="a,b", comments="")
    out = metrics.evaluate(rng.normal(size=(2000, 2)).astype(np.float32), data=f"csv:{path}",
                           metrics="ks,wasserstein,parzen")
    ks, w1, parzen = out["warnings"]
    for w, name in ((ks, "ks"), (w1, "wasserstein"), (parzen, "parzen")):
        assert w.startswith(f"{name} compared the 2000 samples with only 30 real examples, fewer than 500: "), w
    assert "recall" not in " ".join(out["warnings"])
    bound = 1.358 * np.sqrt((2000 + 30) / (2000 * 30))  # the two-sample KS test's 5% critical value
    assert f"differ by KS up to {bound:.3f} in 95% of draws" in ks
    assert "sampling noise" in w1 and "mean over 30 test points" in parzen
    texts = {metrics.info(m).few_real for m in ("ks", "wasserstein", "parzen", "fd", "kid", "prdc")}
    assert len(texts) == 6 and all(texts)
    assert "recall can read near 0 beside coverage near 1" in metrics.info("prdc").few_real


def test_few_samples_limit_the_reference_and_the_warning_says_raise_n():
    import numpy as np

    from gankit import metrics

    out = metrics.evaluate(np.zeros((40, 2), np.float32), data="ring8", metrics="ks")
    assert "warnings" not in out  # ks compares with the whole test split, whatever n
    w = metrics.evaluation.few_real_warning("fd", 40, 40)
    assert w.endswith("raise --n: the samples limit how many real examples are compared") and "FD fits" in w
    # more samples than real examples: for a table those are its training rows, so a larger test split would
    # leave fewer of them
    assert metrics.evaluation.few_real_warning("table", 1000, 300, "table").endswith("only a table with more rows "
                                                                                   "helps (its training rows are what the samples are compared with)")
    assert metrics.evaluation.few_real_warning("fd", 1000, 300, "image").endswith("(a larger test split)")


def test_a_small_image_folder_is_compared_with_its_training_split_and_says_so(tmp_path):
    """Issue 25: metrics on a 200-image folder compared the samples with only its 10 test images
    (precision 0.97 for colour blobs)."""
    import numpy as np
    from PIL import Image

    from gankit import data, metrics
    from gankit.config import DataConfig

    rng = np.random.default_rng(0)
    for i in range(200):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(tmp_path / f"{i:03d}.png")
    ds = data.load(DataConfig(name=f"folder:{tmp_path}", size=8))
    assert len(ds.test) == 10
    blobs = np.full((60, 3, 8, 8), 0.5, np.float32)
    out = metrics.evaluate(blobs, data=ds, metrics="prdc")
    assert out["n_reference"] == 60  # as many training images as samples, not the 10 test images
    assert any(w.startswith("prdc compared the samples with 60 training images, not with held-out ones: ") and
               "test split has only 10" in w for w in out["warnings"]), out["warnings"]
    from gankit.metrics.features import reference_split

    name, images = reference_split(ds)
    assert name == "training" and images is ds.train
