"""``convlens serve``: the web lens for a model or a run, at one local URL."""

from __future__ import annotations

from pathlib import Path

import click


def newest_run(root: Path = Path("runs")) -> Path:
    """The most recently changed run folder under ``root``.

    Raises:
        click.UsageError: when there is none.
    """
    runs = [p for p in root.glob("*") if p.is_dir() and (p / "run.json").is_file()] if root.is_dir() else []
    if not runs:
        raise click.UsageError(f"no MODEL given and no run folder under {root}/; train one with `convlens train` "
                               "or name a .keras file or a zoo model.")
    return max(runs, key=lambda p: p.stat().st_mtime)


@click.command("serve")
@click.argument("model", required=False)
@click.option("--weights", type=click.Path(exists=True, dir_okay=False), default=None,
              help="For a zoo MODEL: a local .keras/.h5 or PyTorch state-dict file to load.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but 127.0.0.1/localhost exposes the page to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default 8765, or a free one when it is taken; 0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
def serve_command(model: str | None, weights: str | None, host: str, port: int | None, open_browser: bool) -> None:
    """Show MODEL (a run folder, .keras/.h5 file or zoo name; default: the newest run in runs/) in the browser.

    Draw or upload an image and see the prediction, every layer's feature
    maps and the arithmetic behind any pixel. A run still training shows its
    loss, accuracy, filters and feature maps live. Ctrl-C stops the server.
    """
    from ..web.launch import serve

    target: object = str(newest_run()) if model is None else model
    if weights is not None:
        from .. import zoo

        try:
            target = zoo.create(model, weights=weights)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="MODEL") from None
    serve(target, host=host, port=port, open_browser=open_browser)
