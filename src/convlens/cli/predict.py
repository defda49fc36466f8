"""``convlens predict``: the top classes of a saved model for image files."""

from __future__ import annotations

import click
import numpy as np

from .common import INVERT_HELP, class_names_for, image_for_model, load_model_arg


@click.command("predict")
@click.argument("model_path", metavar="MODEL")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="How many classes to list.")
@click.option("--invert", type=click.Choice(["auto", "yes", "no"]), default="auto", show_default=True,
              help=INVERT_HELP)
def predict_command(model_path: str, images: tuple[str, ...], top: int, invert: str) -> None:
    """Classify IMAGE files (any PNG/JPEG size or mode, converted as MODEL expects)."""
    import torch

    from ..runs import outputs_logits

    model = load_model_arg(model_path)
    prepared = [image_for_model(path, model.input_shape, invert) for path in images]
    for path, image in zip(images, prepared):
        if image.inverted:  # the one change that alters what the model sees: never silent
            click.echo(f"Note: {image.describe(path)}; pass --invert no to keep it as it is.")
    batch = np.stack([image.pixels for image in prepared])
    scores = model.predict(batch, verbose=0)
    probs = torch.softmax(torch.as_tensor(scores), -1).numpy() if outputs_logits(model) else scores
    names = class_names_for(model_path, probs.shape[-1])
    for path, p in zip(images, probs):
        best = np.argsort(-p)[:top]
        ranked = ", ".join(f"{names[i]} {p[i]:.1%}" for i in best)
        click.echo(f"{path}: {ranked}")
