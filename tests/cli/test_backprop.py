"""``convlens backprop``: the notes' example printed with numbers, the picture, and errors."""

from click.testing import CliRunner

from convlens import Sequential, layers
from convlens.cli import main


def test_notes_example_and_picture(tmp_path):
    result = CliRunner().invoke(main, ["backprop", "--example", "notes-1d", "--picture", str(tmp_path / "c.png")])
    assert result.exit_code == 0, result.output
    out = result.output
    for line in ["X   (5×1)", "W¹   (3×1)", "Z¹ = conv(W¹, X)", "A¹ = relu(Z¹)   (5×1)", "W²   (5×1)",
                 "A² = (W²)ᵀ A¹   (1×1)", "L = (A² − y)²", "∂Z¹/∂W¹   (3×5)", "∂A¹/∂Z¹   (5×5)", "∂L/∂A¹   (5×1)",
                 "∂L/∂W¹ = ∂Z¹/∂W¹ (3×5) · ∂A¹/∂Z¹ (5×5) · ∂L/∂A¹ (5×1)   (3×1)",
                 "Every gradient is equal to PyTorch autograd's"]:
        assert line in out, line
    assert (tmp_path / "c.png").stat().st_size > 0


def test_saved_model(tmp_path):
    model = Sequential([layers.Input((4, 4, 1)), layers.Conv2D(2, 3, activation="relu"), layers.Flatten(),
                        layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    result = CliRunner().invoke(main, ["backprop", "--model", str(tmp_path / "m.keras")])
    assert result.exit_code == 0, result.output
    assert "∂L/∂b²" in result.output and "equal to PyTorch autograd" in result.output


def test_needs_exactly_one_source():
    result = CliRunner().invoke(main, ["backprop"])
    assert result.exit_code == 2 and "exactly one of" in result.output
