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


@pytest.fixture
def colour_photo(tmp_path):
    """A 200×200 RGB picture with a dark background: neither its size nor its mode is the model's."""
    pixels = np.random.default_rng(0).integers(0, 100, (200, 200, 3), dtype=np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path


def test_show_names_the_real_input_and_every_conversion(tmp_path, small_model_file, colour_photo, monkeypatch):
    from convlens import lens

    titles = []
    original = lens.plot_feature_maps

    def spy(*args, **kwargs):
        figure = original(*args, **kwargs)
        titles.append(figure.subfigs[0]._suptitle.get_text())
        return figure

    monkeypatch.setattr(lens, "plot_feature_maps", spy)
    result = run(small_model_file[0], colour_photo, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    line = "photo.png: 200×200 RGB, resized to 28×28, converted to grayscale"
    assert f"Input: {line}." in result.output and "invert" not in result.output
    assert titles == [f"{line} → model input 28×28×1"]


@pytest.mark.parametrize("invert, inverted", [("auto", True), ("yes", True), ("no", False)])
def test_show_and_predict_say_when_they_invert(tmp_path, small_model_file, digit_file, invert, inverted):
    from convlens.cli import main

    shown = run(small_model_file[0], digit_file, "-o", tmp_path / "out", "--invert", invert)
    predicted = CliRunner().invoke(main, ["predict", str(small_model_file[0]), str(digit_file), "--invert", invert])
    assert shown.exit_code == 0 and predicted.exit_code == 0, shown.output + predicted.output
    said = "inverted to light-on-dark" + (" (its border is light)" if invert == "auto" else "")
    assert (said in shown.output) == inverted and (said in predicted.output) == inverted
    assert ("--invert no to keep it" in predicted.output) == inverted


def test_inversion_changes_what_the_model_sees(small_model_file, digit_file):
    from convlens.cli.common import image_for_model

    auto = image_for_model(str(digit_file), (None, 28, 28, 1), "auto")
    kept = image_for_model(str(digit_file), (None, 28, 28, 1), "no")
    np.testing.assert_allclose(auto.pixels, 255.0 - kept.pixels)
    assert auto.inverted and not kept.inverted and auto.source == "40×40 RGB"


def test_invert_help_explains_each_choice():
    from convlens.cli import main

    for command in ("show", "predict"):
        text = CliRunner().invoke(main, [command, "--help"]).output
        assert "--invert [auto|yes|no]" in text and "dark-on-light" in text and "never" in text
