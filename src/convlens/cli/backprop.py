"""``convlens backprop``: a small model's forward pass and chain rule, with every number, checked against autograd."""

from __future__ import annotations

import click
import numpy as np

from .common import load_model_arg

EXAMPLES = ("notes-1d",)


@click.command("backprop")
@click.option("--example", type=click.Choice(EXAMPLES), default=None,
              help="notes-1d: the notes' regression on a 5×1 signal with one size-3 filter and 'same' padding.")
@click.option("--model", "model_path", default=None, metavar="MODEL",
              help="A small saved .keras model (Conv1D/Conv2D, Dense, pooling, activations, Flatten) instead.")
@click.option("--seed", default=0, show_default=True, help="With --model: seed of the random input x and target y.")
@click.option("--loss", type=click.Choice(["mean_squared_error", "sparse_categorical_crossentropy"]),
              default="mean_squared_error", show_default=True, help="With --model: the loss L.")
@click.option("--picture", type=click.Path(dir_okay=False), default=None,
              help="Also draw the chain of the first weight (its factors as number grids) into this .png/.svg.")
def backprop_command(example: str | None, model_path: str | None, seed: int, loss: str, picture: str | None) -> None:
    """Print the forward pass and the backward chain (Jacobians, products, gradients), checked against autograd."""
    from .. import lens

    if (example is None) == (model_path is None):
        raise click.UsageError("Give exactly one of --example notes-1d or --model MODEL.")
    if example is not None:
        model, x, y = lens.backprop_notes_example()
        click.echo("The notes' example: Z¹ᵢ = (W¹)ᵀ X[i−1, i, i+1] (zero 'same' padding), A¹ = ReLU(Z¹), "
                   "A² = (W²)ᵀ A¹, L = (A² − y)², with y = 1.\n")
    else:
        model = load_model_arg(model_path)
        rng = np.random.default_rng(seed)
        x = rng.normal(size=tuple(model.input_shape[1:]))
        units = model.output_shape[-1]
        y = rng.integers(0, units, size=1) if loss == "sparse_categorical_crossentropy" else rng.normal(size=units)
    try:
        result = lens.backprop(model, x, y, loss="mean_squared_error" if example else loss)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.format())
    if picture is not None:
        lens.plot_chain(result, save=picture)
        click.echo(f"wrote {picture}")
