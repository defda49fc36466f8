"""``convlens show``: pictures of what a model holds and sees, written into a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click
import numpy as np

from .._io import atomic_write_text
from .common import INVERT_HELP, class_names_for, image_for_model, load_model_arg

DATASETS = ("mnist", "fashion-mnist")


@click.command("show")
@click.argument("model_path", metavar="MODEL")
@click.argument("image_path", metavar="[IMAGE]", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the pictures into (created if missing; files in it are replaced).")
@click.option("--layer", "layer_names", multiple=True, metavar="NAME",
              help="Layer whose feature maps to draw (repeat for several); default: every convolution and pooling "
                   "layer. Needs IMAGE.")
@click.option("--max-maps", default=16, show_default=True, type=click.IntRange(min=1),
              help="Feature maps drawn per layer (the first ones).")
@click.option("--data", type=click.Choice(DATASETS), default=None,
              help="Also draw the confusion matrix (confusion.png) and the worst mistakes (misclassified.png) "
                   "on this dataset's 10,000 test images (found through $CONVLENS_DATA or the cache).")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="With --data, use only the first N test images.")
@click.option("--invert", type=click.Choice(["auto", "yes", "no"]), default="auto", show_default=True,
              help=INVERT_HELP)
@click.option("--svg", is_flag=True, help="Write every picture as SVG too.")
def show_command(model_path: str, image_path: str | None, out_dir: str, layer_names: tuple[str, ...],
                 max_maps: int, data: str | None, limit: int | None, invert: str, svg: bool) -> None:
    """Draw MODEL's architecture, learned filters and, given IMAGE, its feature maps.

    MODEL is a saved .keras file, a run folder or a zoo name (mnist-convnet,
    lenet5, vgg16, ...; zoo models have untrained, random weights). IMAGE is
    any PNG/JPEG/BMP/GIF, converted to the model's input size and colour mode.

    \b
    Writes into --out:
      architecture.png        the layers as feature-map stacks and bars
      filters.png             the first convolution's filters
      filters_<layer>.png     every convolution's filters
      summary.txt             the summary with the formula behind each row
      classic.txt             each first-layer filter's closest classic kernel
      feature_maps.png        with IMAGE: each layer's maps for it
      saliency.png            with IMAGE: saliency and Grad-CAM of the prediction
      lenses.png              with IMAGE: the classic filters on it
      confusion.png           with --data: the confusion matrix on the test set
      misclassified.png       with --data: the highest-loss mistakes
    """
    from .. import lens

    model = load_model_arg(model_path)
    if layer_names and image_path is None:
        raise click.UsageError("--layer chooses feature-map layers, which need an IMAGE argument.")
    try:
        chosen = lens.resolve_layers(model, list(layer_names)) if layer_names else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--layer") from None
    if chosen is not None:
        flat = [layer.name for layer, shape in zip(model.layers, model.layer_output_shapes)
                if layer in chosen and len(shape) != 4]
        if flat:
            raise click.BadParameter(f"{flat} output no feature maps; choose among "
                                     f"{[layer.name for layer in lens.map_layers(model)]}.", param_hint="--layer")
    if data is not None:
        try:  # both datasets hold 28×28 grayscale digits or garments
            lens.as_model_input(model, np.zeros((1, 28, 28), np.uint8))
        except ValueError:
            raise click.BadParameter(f"{data} images are 28×28 grayscale, but the model takes "
                                     f"{tuple(model.input_shape[1:])}.", param_hint="--data") from None
    prepared = image_for_model(image_path, model.input_shape, invert) if image_path is not None else None
    image = prepared.pixels if prepared is not None else None
    if prepared is not None:
        tip = "; pass --invert no to keep it as it is" if prepared.inverted else ""
        click.echo(f"Input: {prepared.describe(image_path)}{tip}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not Path(model_path).exists():
        click.echo(f"Note: {model_path} is a zoo architecture with random (untrained) weights.")

    def write(names: list[str], draw: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Draw once, save under every name (PNG, and SVG with --svg)."""
        paths = [out / f"{name}.{ext}" for name in names for ext in ("png", "svg")[: 1 + svg]]
        draw(*args, save=paths, **kwargs)
        for path in paths:
            click.echo(f"wrote {path}")

    write(["architecture"], lens.plot_architecture, model)
    atomic_write_text(out / "summary.txt", lens.format_explained_summary(model))
    click.echo(f"wrote {out / 'summary.txt'}")
    convs = [layer for layer in model.layers if _has_filters(layer)]
    if convs:
        _write_resemblance(convs[0], out / "classic.txt")
    for i, layer in enumerate(convs):
        write(["filters"] * (i == 0) + [f"filters_{layer.name}"], lens.plot_filters, layer)
    if image is not None:
        write(["feature_maps"], lens.plot_feature_maps, model, image, chosen, max_maps=max_maps,
              input_label=prepared.describe(image_path))
        if convs:
            names = class_names_for(model_path, _classes(model)) if Path(model_path).exists() else None
            write(["saliency"], lens.plot_saliency, model, image, class_names=names)
        write(["lenses"], lens.plot_lenses, image)
    if data is not None:
        x, y, names = _test_set(data, limit)
        write(["confusion"], lens.plot_confusion_matrix, model, x, y, class_names=names)
        write(["misclassified"], lens.plot_misclassified, model, x, y, class_names=names)


def _write_resemblance(layer: Any, path: Path) -> None:
    """Say which named classic kernel each first-layer filter most resembles (normalized correlation)."""
    from ..lens import resemble_classic

    try:
        lines = [str(r) for r in resemble_classic(layer)]
    except ValueError as exc:  # no classic kernel of this size
        click.echo(f"Note: {exc}")
        return
    text = f"{layer.name}: the closest classic kernel of each filter (normalized correlation r)\n" + "\n".join(lines)
    click.echo(text)
    atomic_write_text(path, text + "\n")
    click.echo(f"wrote {path}")


def _has_filters(layer: Any) -> bool:
    from ..lens import filter_bank

    try:
        filter_bank(layer)
    except TypeError:
        return False
    return True


def _classes(model: Any) -> int:
    units = model.output_shape[-1]
    return 2 if units == 1 else int(units)


def _test_set(name: str, limit: int | None) -> tuple[Any, Any, list[str] | None]:
    from .. import datasets

    module = datasets.mnist if name == "mnist" else datasets.fashion_mnist
    try:
        (_, _), (x, y) = module.load_data(verbose=False)
    except (datasets.DatasetNotFoundError, datasets.DatasetFileError) as exc:
        raise click.ClickException(str(exc)) from None
    names = list(module.CLASS_NAMES) if hasattr(module, "CLASS_NAMES") else None
    return x[:limit], y[:limit], names
