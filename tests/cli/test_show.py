"""``convlens show``: the files it writes and its errors."""

from __future__ import annotations

import os

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from convlens import Sequential, layers
from convlens.cli.show import show_command


@pytest.fixture
def small_model_file(tmp_path):
    """A small trained-shape model saved as .keras (two convolutions, 4 and 6 filters)."""
    model = Sequential([layers.Input((28, 28, 1)), layers.Rescaling(1 / 255), layers.Conv2D(4, 3, activation="relu"),
                        layers.MaxPooling2D(), layers.Conv2D(6, 3, activation="relu"), layers.Flatten(),
                        layers.Dense(10, activation="softmax")], name="small")
    path = tmp_path / "small.keras"
    model.save(path)
    return path, model


@pytest.fixture
def digit_file(tmp_path):
    """A dark digit-like stroke on white paper, RGB and 40×40: it must be converted."""
    pixels = np.full((40, 40, 3), 255, np.uint8)
    pixels[8:32, 18:23] = 0
    path = tmp_path / "digit.png"
    Image.fromarray(pixels).save(path)
    return path


def run(*args):
    return CliRunner().invoke(show_command, [str(a) for a in args], catch_exceptions=False)


def test_saved_model_with_an_image(tmp_path, small_model_file, digit_file):
    path, model = small_model_file
    out = tmp_path / "out"
    result = run(path, digit_file, "-o", out, "--max-maps", "2", "--svg")
    assert result.exit_code == 0, result.output
    conv_names = [layer.name for layer in model.layers if isinstance(layer, layers.Conv2D)]
    expected = {"architecture", "filters", *(f"filters_{n}" for n in conv_names), "feature_maps", "saliency", "lenses"}
    assert {p.name for p in out.iterdir()} == {f"{n}.{ext}" for n in expected for ext in ("png", "svg")} | {"summary.txt", "classic.txt"}
    assert (out / "filters.png").read_bytes() == (out / f"filters_{conv_names[0]}.png").read_bytes()
    assert "3·3·1·4 + 4 = 40" in (out / "summary.txt").read_text()
    classic = (out / "classic.txt").read_text().splitlines()
    assert len(classic) == 1 + 4 and classic[1].startswith("filter 0: most like ") and "r = " in classic[1]
    assert f"wrote {out / 'summary.txt'}" in result.output and "random" not in result.output


def test_zoo_name_without_image(tmp_path):
    result = run("lenet5", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "architecture.png", "classic.txt", "filters.png", "filters_c1.png", "filters_c3.png", "summary.txt"]
    assert "random (untrained) weights" in result.output


def test_layer_choice_and_its_errors(tmp_path, small_model_file, digit_file):
    path, model = small_model_file
    conv = model.layers[1].name
    assert run(path, digit_file, "-o", tmp_path, "--layer", conv, "--max-maps", "1").exit_code == 0
    bad = run(path, digit_file, "-o", tmp_path / "x", "--layer", "nope")
    assert bad.exit_code == 2 and "nope" in bad.output and conv in bad.output
    flat = run(path, digit_file, "-o", tmp_path / "x", "--layer", model.layers[-1].name)
    assert flat.exit_code == 2 and "no feature maps" in flat.output
    no_image = run(path, "-o", tmp_path / "x", "--layer", conv)
    assert no_image.exit_code == 2 and "IMAGE" in no_image.output
    assert not (tmp_path / "x").exists()  # errors come before anything is written


def test_unreadable_image_and_unknown_model(tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    result = run("mnist-convnet", fake, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "cannot read" in result.output
    result = run("no-such-model", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "lenet5" in result.output


@pytest.mark.skipif(not os.environ.get("CONVLENS_DATA"), reason="CONVLENS_DATA is not set; point it at the datasets")
def test_confusion_on_the_mnist_test_set(tmp_path, small_model_file):
    path, _ = small_model_file
    result = run(path, "-o", tmp_path, "--data", "mnist", "--limit", "300")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "confusion.png").exists() and (tmp_path / "misclassified.png").exists()
    wrong = run("tinyvgg", "-o", tmp_path / "v", "--data", "mnist", "--limit", "10")
    assert wrong.exit_code == 2 and "28×28 grayscale" in wrong.output
