"""``convlens learn-filter``: a 3×3 filter learned from random weights by gradient descent, as on the notes' slide."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("learn-filter")
@click.option("--target", default="line_vertical", show_default=True, metavar="NAME",
              help="The kernel to learn: a name of convlens.filters (line_vertical, sobel, laplacian, ...).")
@click.option("--images", default=None, type=click.Path(exists=True, file_okay=False),
              help="A folder of images to train on; default: MNIST digits (the sample shipped with convlens).")
@click.option("--seed", default=0, show_default=True, help="Seed of the random initial weights.")
@click.option("--epochs", default=30, show_default=True, type=click.IntRange(min=1), help="Passes over the images.")
@click.option("-o", "--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Write learning.png (frames and loss curve) and learning.gif (the weights moving) here.")
def learn_filter_command(target: str, images: str | None, seed: int, epochs: int, out_dir: str | None) -> None:
    """Train one Conv2D(1, 3, use_bias=False) from random weights to reproduce TARGET on real images."""
    from .. import lens

    try:
        result = lens.learn_filter(target, seed, images=images, epochs=epochs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--target" if "target" in str(exc) else "--images") from None
    click.echo(result.format())
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        lens.plot_learning(result, save=out / "learning.png")
        lens.save_learning_gif(result, out / "learning.gif")
        click.echo(f"wrote {out / 'learning.png'}\nwrote {out / 'learning.gif'}")
