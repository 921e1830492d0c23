"""Pictures of points data: every column drawn, each in its own units, the legend off the data."""

import numpy as np

from gankit.sampling.pictures import MAX_COLUMNS, _compact, points_figure


def data_axes(fig):
    return [ax for ax in fig.axes if ax.axison]


def overlaps(a, b):
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0)


def test_every_column_gets_a_histogram_and_every_pair_a_scatter():
    """Issue 16, defect 2: a 3-column CSV silently left a column out."""
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(500, 3)), rng.normal(size=(500, 3))
    fig = points_figure(real, fake, ["a", "b", "c"], "step 5")
    axes = data_axes(fig)
    assert len(axes) == 6  # 3 histograms + 3 pairs
    assert {ax.get_xlabel() for ax in axes} - {""} == {"a", "b", "c"}
    assert {ax.get_ylabel() for ax in axes} - {""} == {"b", "c"}


def test_columns_in_different_units_keep_their_own_ranges_and_the_legend_clear():
    """Issue 16, defect 2: °C against $ drew a thin sliver (equal aspect) with the legend over the data."""
    rng = np.random.default_rng(1)
    real = np.column_stack([rng.normal(20, 5, 800), rng.normal(50_000, 10_000, 800)])
    fake = real + rng.normal(0, 1, real.shape)
    fig = points_figure(real, fake, ["celsius", "dollars"], "step 5")
    fig.canvas.draw()
    scatter = next(ax for ax in data_axes(fig) if ax.collections)
    assert scatter.get_aspect() == "auto"
    lo, hi = scatter.get_xlim()
    assert lo < 10 and 30 < hi < 60  # celsius across the width
    lo, hi = scatter.get_ylim()
    assert 10_000 < lo < 40_000 and 60_000 < hi < 100_000  # dollars up the height
    box = scatter.get_window_extent()
    assert box.width > 0.6 * box.height  # no sliver
    legend = fig.legends[0].get_window_extent()
    assert not any(overlaps(legend, ax.get_window_extent()) for ax in data_axes(fig))
    labels = [t.get_text() for t in scatter.get_yticklabels() if t.get_text()]
    assert labels and all(len(t) <= 5 for t in labels)  # 50k, not 50000.0


def test_more_columns_than_drawn_are_named_in_the_title():
    rng = np.random.default_rng(2)
    names = [f"c{j}" for j in range(MAX_COLUMNS + 2)]
    fig = points_figure(rng.normal(size=(50, len(names))), rng.normal(size=(50, len(names))), names, "t")
    assert f"not shown: c{MAX_COLUMNS}, c{MAX_COLUMNS + 1}" in fig._suptitle.get_text()


def test_one_column_is_a_histogram_with_the_legend_outside():
    rng = np.random.default_rng(3)
    fig = points_figure(rng.normal(170, 8, (400, 1)), rng.normal(170, 8, (400, 1)), ["height_cm"], "t")
    fig.canvas.draw()
    (ax,) = data_axes(fig)
    assert ax.get_xlabel() == "height_cm"
    assert not overlaps(fig.legends[0].get_window_extent(), ax.get_window_extent())


def test_compact_tick_labels():
    assert [_compact(v) for v in (0.25, 12.0, 52_000.0, 1_500_000.0)] == ["0.25", "12", "52k", "1.5M"]


def test_a_grid_of_any_count_is_near_square(tmp_path):
    """Issue 25: a grid of 10 images came out 8 wide and 2 high."""
    import io
    import math

    import torch
    from PIL import Image

    from gankit.data.dataset import Dataset
    from gankit.sampling.pictures import image_grid, save_samples

    ds = Dataset("tiny", "image", torch.zeros(4, 1, 8, 8))
    for n in (1, 2, 3, 5, 10, 17, 30, 64):
        x = torch.rand(n, 1, 8, 8)
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        assert abs(cols - rows) <= 1
        want = ((cols * 10 + 2) * 3, (rows * 10 + 2) * 3)  # 8 px tiles, 2 px apart, upscaled 3×
        assert image_grid(x).size == want, n
        with Image.open(save_samples(x, ds, tmp_path / f"{n}.png")) as im:
            assert im.size == want, n
    with Image.open(io.BytesIO((tmp_path / "10.png").read_bytes())) as im:
        assert im.info["Software"].startswith("gankit")
