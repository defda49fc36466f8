"""``convlens evaluate``: test accuracy of a saved model."""

from __future__ import annotations

import click

from .common import load_model_arg


@click.command("evaluate")
@click.argument("model_path", metavar="MODEL")
@click.option("--data", default=None,
              help="mnist, fashion-mnist, cifar10, or a folder with one sub-folder of images per class (default: the data "
                   "of MODEL's run, from its run.json; else mnist).")
@click.option("--batch-size", type=click.IntRange(min=1), default=1024, show_default=True, help="Images per batch.")
def evaluate_command(model_path: str, data: str | None, batch_size: int) -> None:
    """Print the loss and accuracy of MODEL (a .keras file or run folder) on the test set of --data.

    A run trained on a folder of images is scored on its validation subset
    (the run's split and seed), never on the images it was trained on.
    """
    from pathlib import Path

    from .. import datasets
    from ..runs import BUILTIN_DATA, compile_for_classification, load_config

    folder = Path(model_path) if Path(model_path).is_dir() else Path(model_path).parent
    run = load_config(folder) if (folder / "run.json").is_file() else None
    if data is None:
        data = run.data if run is not None else "mnist"
        if run is not None:
            click.echo(f"Data: {data} (the run's, from {folder / 'run.json'}).")
    subset = {}
    if run is not None and data == run.data and data not in BUILTIN_DATA:
        subset = dict(validation_split=run.validation_split or 0.2, subset="validation", seed=run.seed)

    model = load_model_arg(model_path)
    if not getattr(model, "compiled", False):
        compile_for_classification(model)
    if data in BUILTIN_DATA:
        loaded = datasets.load_or_sample(data)
        click.echo(loaded.message)
        _, (x_test, y_test) = loaded.data
        x_test = x_test if x_test.ndim == 4 else x_test[..., None]  # grayscale sets gain a channel axis
        loss, accuracy = model.evaluate(x_test, y_test.reshape(-1), batch_size=batch_size, verbose=0)
        count = len(x_test)
    else:
        height, width = model.input_shape[1:3]
        channels = model.input_shape[-1]
        try:
            ds = datasets.image_dataset_from_directory(
                data, image_size=(height, width), batch_size=batch_size, shuffle=bool(subset),
                color_mode="grayscale" if channels == 1 else "rgb", **subset)
        except (ValueError, OSError) as exc:
            raise click.BadParameter(str(exc), param_hint="--data") from None
        loss, accuracy = model.evaluate(ds, verbose=0)
        count = len(ds.file_paths)
    click.echo(f"{count:,} images: loss {loss:.4f}, accuracy {accuracy:.4f}")
