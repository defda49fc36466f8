"""``convlens filter``: apply the classic lenses to a picture, or compare several side by side.

    convlens filter photo.jpg median -o smooth.png
    convlens filter photo.jpg mean --times 1,2,3,10 --compare -o mean.png
    convlens filter photo.jpg gaussian --sigma 2,8 --compare -o blur.png
    convlens filter photo.jpg sobel,prewitt --gray --compare -o edges.png
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import click
import numpy as np

from .. import filters
from .._io import atomic_write


@dataclass(frozen=True)
class _Op:
    """One filter as the command sees it: the call, the options it takes, how to show it."""

    fn: Callable[..., Any]
    options: tuple[str, ...]  # the command options it takes besides --border and --times
    signed: bool = False  # results are signed responses (edges): shown as |value| scaled to the maximum


_WINDOW = ("size", "radius", "footprint")
OPS: dict[str, _Op] = {
    "mean": _Op(filters.mean, _WINDOW),
    "median": _Op(filters.median, _WINDOW),
    "gaussian": _Op(filters.gaussian, ("sigma",)),
    "dilate": _Op(filters.dilate, _WINDOW),
    "erode": _Op(filters.erode, _WINDOW),
    "opening": _Op(filters.opening, _WINDOW),
    "closing": _Op(filters.closing, _WINDOW),
    "prewitt": _Op(filters.prewitt, ("axis",), signed=True),
    "sobel": _Op(filters.sobel, ("axis",), signed=True),
    "scharr": _Op(filters.scharr, ("axis",), signed=True),
    "laplacian": _Op(filters.laplacian, (), signed=True),
    "line": _Op(filters.line, ("direction",), signed=True),
    "sharpen": _Op(filters.sharpen, ()),
}
_VARIED = ("size", "radius", "sigma", "times")  # options that take comma-separated lists
_MAX_PANELS = 16


def _number_list(kind: type) -> Callable[[click.Context, click.Parameter, str | None], list | None]:
    """A click callback parsing ``"1,2,3"`` into a list of ``kind``."""

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> list | None:
        if value is None:
            return None
        try:
            return [kind(v) for v in value.split(",")]
        except ValueError:
            raise click.BadParameter(
                f"expected comma-separated {kind.__name__}s such as 1,2,3. Received: {value!r}"
            ) from None

    return parse


@click.command("filter")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("op")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PNG to write: the filtered image, or with --compare the figure.")
@click.option("--size", callback=_number_list(int), metavar="N[,N...]",
              help="Odd window side(s), e.g. 3 or 3,5,9 (mean, median, dilate, erode, opening, closing; default 3).")
@click.option("--radius", callback=_number_list(int), metavar="R[,R...]",
              help="Window radius(es) instead of --size: radius 1 is 3x3.")
@click.option("--sigma", callback=_number_list(float), metavar="S[,S...]",
              help="Gaussian standard deviation(s) in pixels, e.g. 2,8 (default 1).")
@click.option("--footprint", type=click.Choice(filters.FOOTPRINTS), help="Window shape (default square).")
@click.option("--border", type=click.Choice(filters.BORDERS), default="reflect", show_default=True,
              help="What the window sees beyond the edge; ignore = leave those pixels out.")
@click.option("--times", callback=_number_list(int), metavar="N[,N...]",
              help="Apply the filter this many times, e.g. 1,2,3,10.")
@click.option("--axis", type=click.IntRange(0, 1), help="Edge filters: gradient along rows (0) or columns (1) "
              "instead of the magnitude.")
@click.option("--direction", type=click.Choice(list(filters.LINES)), help="line: the direction of the lines to find "
              "(default horizontal).")
@click.option("--gray", is_flag=True, help="Convert the image to grayscale first (colour stays colour otherwise).")
@click.option("--compare", is_flag=True, help="Write a figure of the input beside every result.")
def filter_command(image: Path, op: str, output: Path, gray: bool, compare: bool, border: str,
                   **options: Any) -> None:
    """Filter IMAGE with OP and write a PNG.

    OP is one of mean, median, gaussian, dilate, erode, opening, closing,
    prewitt, sobel, scharr, laplacian, line, sharpen, or several separated by
    commas. Options with comma-separated values (--size, --radius, --sigma,
    --times) give one result per value; with several results pass --compare,
    which draws the input and every result side by side.

    Smoothing and morphology results are clipped to 0..255; edge responses
    (prewitt, sobel, scharr, laplacian, line) are shown as absolute values
    scaled so that the strongest is 255.
    """
    if output.suffix.lower() != ".png":
        raise click.BadParameter(f"the output is written as PNG; name it *.png. Received: {output}",
                                 param_hint="'-o' / '--output'")
    runs = _plan(op, options)
    if len(runs) > 1 and not compare:
        raise click.UsageError(f"{len(runs)} results ({', '.join(label for label, *_ in runs)}): pass --compare "
                               "to draw them side by side, or give one value per option.")
    if len(runs) > _MAX_PANELS:
        raise click.UsageError(f"{len(runs)} results are too many for one figure; at most {_MAX_PANELS}.")
    pixels = _read_image(image, gray=gray)
    results = []
    for label, spec, kwargs in runs:
        try:
            filtered = spec.fn(pixels, border=border, **kwargs)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        results.append((label, to_uint8(filtered, signed=spec.signed)))
    if compare:
        with atomic_write(output) as handle:
            _compare_figure(to_uint8(pixels), results, image.name).savefig(handle, format="png")
    else:
        from PIL import Image

        with atomic_write(output) as handle:
            Image.fromarray(results[0][1]).save(handle, format="PNG")
    click.echo(f"Wrote {output}")


def _plan(op_text: str, options: dict[str, Any]) -> list[tuple[str, _Op, dict[str, Any]]]:
    """Every (label, op, keyword arguments) the command line asks for, in order."""
    names = [name.strip() for name in op_text.split(",")]
    unknown = [name for name in names if name not in OPS]
    if unknown:
        raise click.BadParameter(f"unknown filter {unknown[0]!r}; choose from {', '.join(OPS)}.", param_hint="OP")
    if options["size"] is not None and options["radius"] is not None:
        raise click.UsageError("Give --size or --radius, not both.")
    given = {key for key, value in options.items() if value is not None and key != "times"}
    for key in sorted(given):
        if not any(key in OPS[name].options for name in names):
            users = ", ".join(name for name, spec in OPS.items() if key in spec.options)
            raise click.UsageError(f"--{key} applies to {users}; OP is {op_text!r}.")
    runs = []
    for name in names:
        spec = OPS[name]
        fixed = {key: options[key] for key in ("footprint", "axis", "direction")
                 if key in spec.options and options[key] is not None}
        varied = [key for key in _VARIED if options[key] is not None and (key in spec.options or key == "times")]
        for values in itertools.product(*(options[key] for key in varied)):
            kwargs = {**fixed, **dict(zip(varied, values))}
            runs.append((_label(name, kwargs), spec, kwargs))
    return runs


def _label(name: str, kwargs: dict[str, Any]) -> str:
    parts = [name] + [f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
                      for key, value in kwargs.items() if key != "times"]
    if "times" in kwargs:
        parts.append(f"×{kwargs['times']}")
    return " ".join(parts)


def _read_image(path: Path, *, gray: bool = False) -> np.ndarray:
    """Any image Pillow reads, as float32 0..255: ``(H, W)`` for grayscale, ``(H, W, 3)`` for colour.

    Raises:
        click.BadParameter: the file is not a readable image.
    """
    from PIL import ImageOps, UnidentifiedImageError

    from ..datasets.image_dataset import open_image

    try:
        with open_image(path) as opened:
            picture = ImageOps.exif_transpose(opened)
            picture.load()
    except (OSError, ValueError, UnidentifiedImageError) as exc:  # ValueError: open_image's FileFormatError, limits
        raise click.BadParameter(f"cannot read {path} as an image: {exc}", param_hint="IMAGE") from None
    if picture.mode.startswith("I"):  # 16/32-bit grayscale: scale the 16-bit range to 0..255
        return np.asarray(picture, dtype=np.float32) / 257.0
    if gray or picture.mode in ("1", "L", "LA", "F"):
        return np.asarray(picture.convert("L"), dtype=np.float32)
    return np.asarray(picture.convert("RGB"), dtype=np.float32)


def to_uint8(image: np.ndarray, *, signed: bool = False) -> np.ndarray:
    """A filter result as displayable 0..255 pixels.

    Signed responses (edges) become ``|value|`` scaled so the largest is 255;
    everything else is rounded and clipped to 0..255. NaN shows as 0.

    Example:
        >>> to_uint8(np.array([-4.0, 2.0, 300.0])).tolist(), to_uint8(np.array([-4.0, 2.0]), signed=True).tolist()
        ([0, 2, 255], [255, 128])
    """
    values = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0)
    if signed:
        values = np.abs(values)
        peak = values.max()
        values = values * (255.0 / peak) if peak > 0 else values
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _compare_figure(original: np.ndarray, results: list[tuple[str, np.ndarray]], title: str) -> Any:
    """The input and every result in a grid of at most 5 columns, titled, without axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = [(f"input: {title}", original), *results]
    rows = -(-len(panels) // 5)
    columns = -(-len(panels) // rows)  # balanced rows: 6 panels are 2 x 3, not 5 + 1
    height, width = original.shape[:2]
    panel_width = 3.6
    panel_height = panel_width * height / width + 0.35  # room for the title
    figure = Figure(figsize=(panel_width * columns, panel_height * rows), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)  # Agg: no display needed, no global backend switch
    for k, (label, pixels) in enumerate(panels):
        axes = figure.add_subplot(rows, columns, k + 1)
        axes.imshow(pixels, cmap="gray" if pixels.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
        axes.set_title(label, fontsize=10)
        axes.set_axis_off()
    return figure
