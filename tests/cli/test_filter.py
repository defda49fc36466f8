"""``convlens filter``, driven through click's CliRunner."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from convlens import filters
from convlens.cli.filter import filter_command, to_uint8


@pytest.fixture
def gray_png(tmp_path):
    rng = np.random.default_rng(0)
    pixels = np.zeros((24, 32), dtype=np.uint8)
    pixels[6:18, 8:24] = 200
    pixels = np.clip(pixels + rng.integers(0, 40, pixels.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "gray.png"
    Image.fromarray(pixels).save(path)
    return path, pixels


@pytest.fixture
def colour_jpeg(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    path = tmp_path / "colour.jpg"
    Image.fromarray(pixels).save(path, quality=95)
    return path


def run(*args):
    return CliRunner().invoke(filter_command, [str(a) for a in args])


def test_median_writes_the_filtered_png(gray_png, tmp_path):
    path, pixels = gray_png
    out = tmp_path / "median.png"
    result = run(path, "median", "--size", "5", "-o", out)
    assert result.exit_code == 0, result.output
    written = np.asarray(Image.open(out))
    np.testing.assert_array_equal(written, to_uint8(filters.median(pixels.astype(np.float32), 5)))


def test_edges_are_scaled_to_the_maximum(gray_png, tmp_path):
    path, pixels = gray_png
    out = tmp_path / "sobel.png"
    assert run(path, "sobel", "--axis", "1", "-o", out).exit_code == 0
    written = np.asarray(Image.open(out)).astype(np.float64)
    edges = np.abs(filters.sobel(pixels.astype(np.float32), axis=1))
    assert written.max() == 255
    np.testing.assert_allclose(written, np.rint(edges * 255 / edges.max()), atol=1)


def test_colour_stays_colour_unless_gray(colour_jpeg, tmp_path):
    assert run(colour_jpeg, "gaussian", "--sigma", "1.5", "-o", tmp_path / "c.png").exit_code == 0
    assert Image.open(tmp_path / "c.png").mode == "RGB"
    assert run(colour_jpeg, "gaussian", "--gray", "-o", tmp_path / "g.png").exit_code == 0
    assert Image.open(tmp_path / "g.png").mode == "L"


def test_compare_draws_every_result(gray_png, tmp_path):
    path, _ = gray_png
    out = tmp_path / "compare.png"
    result = run(path, "mean,median", "--times", "1,2,3,10", "--compare", "-o", out)
    assert result.exit_code == 0, result.output
    figure = Image.open(out)
    assert figure.format == "PNG" and figure.width > figure.height  # 9 panels in 2 rows of 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_sigma_list_with_compare(gray_png, tmp_path):
    path, _ = gray_png
    assert run(path, "gaussian", "--sigma", "2,8", "--compare", "-o", tmp_path / "s.png").exit_code == 0


@pytest.mark.parametrize(
    "args, words",
    [
        (["blur"], ["unknown filter 'blur'", "gaussian"]),
        (["median", "--sigma", "2"], ["--sigma applies to gaussian"]),
        (["mean", "--axis", "0"], ["--axis applies to prewitt, sobel, scharr"]),
        (["mean", "--size", "4"], ["size", "4", "odd"]),
        (["gaussian", "--sigma", "-1"], ["sigma", "-1", "> 0"]),
        (["gaussian", "--sigma", "two"], ["comma-separated floats", "'two'"]),
        (["mean", "--size", "3", "--radius", "1"], ["--size or --radius"]),
        (["mean", "--times", "1,2"], ["2 results", "--compare"]),
        (["mean", "--times", "0"], ["times", "0"]),
        (["mean", "--border", "zero"], ["'zero'", "reflect"]),
        (["mean", "--size", "99999"], ["size=99999", "CONVLENS_MAX_WINDOW_PIXELS"]),
        (["dilate", "--radius", "100000", "--footprint", "disc"], ["radius=100000", "over the limit"]),
    ],
)
def test_bad_options_give_clear_errors_and_leave_the_output_alone(gray_png, tmp_path, args, words):
    path, _ = gray_png
    out = tmp_path / "out.png"
    out.write_bytes(b"previous")
    result = run(path, *args, "-o", out)
    assert result.exit_code == 2
    for word in words:
        assert word in result.output
    assert out.read_bytes() == b"previous"


def test_unreadable_image_and_bad_output_name(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    result = run(text, "mean", "-o", tmp_path / "o.png")
    assert result.exit_code == 2 and "cannot read" in result.output
    result = run(text, "mean", "-o", tmp_path / "o.jpg")
    assert result.exit_code == 2 and "*.png" in result.output


def test_to_uint8_clips_and_scales():
    np.testing.assert_array_equal(to_uint8(np.array([-3.0, 12.4, 300.0, np.nan])), [0, 12, 255, 0])
    np.testing.assert_array_equal(to_uint8(np.array([-2.0, 1.0, 0.0]), signed=True), [255, 128, 0])
    np.testing.assert_array_equal(to_uint8(np.zeros(3), signed=True), [0, 0, 0])


@pytest.mark.parametrize("args", [["gaussian", "--sigma", "1e8"], ["median", "--size", "2001"]])
def test_windows_wider_than_the_image_are_folded_to_it(gray_png, tmp_path, args):
    # What such a window sees of a 24 x 32 image is the image's periodic extension: computed at once.
    path, pixels = gray_png
    result = run(path, *args, "-o", tmp_path / "wide.png")
    assert result.exit_code == 0, result.output
    written = np.asarray(Image.open(tmp_path / "wide.png")).astype(np.float64)
    expected = np.median(pixels) if args[0] == "median" else pixels.mean()
    assert abs(written.mean() - expected) < 3
