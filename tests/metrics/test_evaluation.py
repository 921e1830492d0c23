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
