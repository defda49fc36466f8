"""The ``convlens`` command: one click group, one module per sub-command."""

from __future__ import annotations

import errno

import click

from ..errors import ConvlensError

# OSError numbers whose message needs a hint beyond the system's own words.
_OS_HINTS = {errno.ENOSPC: "the disk is full: free some space and run again (--resume continues a run)",
             errno.EROFS: "the folder is on a read-only file system: choose another with --out",
             errno.EACCES: "permission denied: choose a folder you can write to, or check the file's permissions",
             errno.EPERM: "operation not permitted: choose a folder you can write to, or check the file's permissions"}


class _Commands(click.Group):
    """The command group: convlens's refusals and file-system errors end as one clean message, not a traceback.

    Exit status 1, the message naming the file and what is wrong; any other
    exception is a bug and keeps its traceback.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConvlensError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            raise click.ClickException(os_error_message(error)) from None


def os_error_message(error: OSError) -> str:
    """``error`` in one line: the file, the system's reason and, for a full disk or read-only folder, what to do.

    Example:
        >>> os_error_message(PermissionError(13, "Permission denied", "/runs/x"))
        "/runs/x: permission denied: choose a folder you can write to, or check the file's permissions"
    """
    reason = _OS_HINTS.get(error.errno or -1) or error.strerror or str(error)
    return f"{error.filename}: {reason}" if error.filename else reason


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
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
    ("backprop", "backprop_command"),
    ("learn_filter", "learn_filter_command"),
    ("serve", "serve_command"),
]

_register()
