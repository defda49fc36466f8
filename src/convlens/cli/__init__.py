"""The ``convlens`` command: one click group, one module per sub-command."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="convlens")
def main() -> None:
    """convlens: convolutional neural networks on images, layer by layer.

    Train the course notes' CNNs (Keras specification, PyTorch speed),
    filter images with the classic sliding-window lenses, and look inside
    a trained network.
    """


def _register() -> None:
    # Sub-commands live in their own modules; importing them here keeps
    # `convlens --help` listing every command.
    from importlib import import_module

    for module_name, attr in _COMMANDS:
        main.add_command(getattr(import_module(f"convlens.cli.{module_name}"), attr))


# (module, click command attribute) for every sub-command.
_COMMANDS: list[tuple[str, str]] = [
    ("filter", "filter_command"),
    ("train", "train_command"),
    ("evaluate", "evaluate_command"),
    ("predict", "predict_command"),
    ("summary", "summary_command"),
    ("show", "show_command"),
    ("serve", "serve_command"),
]

_register()
