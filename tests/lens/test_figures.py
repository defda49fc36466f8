"""Saving pictures: PNG and SVG by suffix, atomically, bad names refused before any work."""

from __future__ import annotations

import pytest

from convlens.lens import plot_history, save_figure
from convlens.lens.figures import grid_shape, new_figure

HISTORY = {"loss": [0.9, 0.5], "val_loss": [1.0, 0.6]}


def test_save_writes_png_and_svg(tmp_path):
    fig = plot_history(HISTORY, save=[tmp_path / "curves.png", tmp_path / "sub" / "curves.svg"])
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "<svg" in (tmp_path / "sub" / "curves.svg").read_text()[:500]
    assert fig.axes  # the figure comes back too
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["curves.png", "curves.svg"]  # no temp files


def test_single_path_and_replacement(tmp_path):
    target = tmp_path / "curves.png"
    target.write_bytes(b"old")
    plot_history(HISTORY, save=str(target))
    assert target.read_bytes().startswith(b"\x89PNG")


def test_bad_suffix_is_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"\.png.*\.svg"):
        plot_history(HISTORY, save=[tmp_path / "a.png", tmp_path / "b.jpg"])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="must end in"):
        save_figure(new_figure(1, 1), tmp_path / "c.pdf")


def test_failed_render_leaves_no_file(tmp_path, monkeypatch):
    fig = new_figure(1, 1)

    def broken(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError):
        save_figure(fig, tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("n", "expected"), [(1, (1, 1)), (6, (1, 6)), (8, (1, 8)), (10, (2, 5)), (32, (4, 8)),
                                             (33, (5, 7))])
def test_grid_shape_holds_every_panel(n, expected):
    rows, cols = grid_shape(n)
    assert (rows, cols) == expected and rows * cols >= n and cols <= 8
