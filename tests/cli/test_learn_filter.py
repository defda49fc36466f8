"""``convlens learn-filter``: the slide's kernels printed, the pictures written, a bad target refused."""

from click.testing import CliRunner

from convlens.cli import main


def test_learns_and_writes_pictures(tmp_path):
    # a short run (the full one, within 0.02 of the target, is tests/lens/test_learning.py's)
    result = CliRunner().invoke(main, ["learn-filter", "--target", "line_horizontal", "--epochs", "6", "-o",
                                       str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("random weights") and "target (line_horizontal)" in lines[0]
    assert lines[2].split()[6:9] == ["2.0", "2.0", "2.0"]  # the target's middle row
    assert "6 epochs: loss" in result.output and "max |learned − target| = " in result.output
    assert (tmp_path / "learning.png").is_file() and (tmp_path / "learning.gif").is_file()


def test_unknown_target():
    result = CliRunner().invoke(main, ["learn-filter", "--target", "nope"])
    assert result.exit_code == 2 and "nope" in result.output
