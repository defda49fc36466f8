"""``convlens summary``: Keras's summary table of a model, optionally with the formulas behind it."""

from __future__ import annotations

import click

from .common import load_model_arg


@click.command("summary")
@click.argument("model_path", metavar="MODEL")
@click.option("--explain", is_flag=True,
              help="Under the table, show for every layer the output-size formula, the parameter arithmetic, "
                   "the receptive field, multiply-adds and activation memory.")
def summary_command(model_path: str, explain: bool) -> None:
    """Print the summary of MODEL: a .keras file, a run folder, or a zoo name such as lenet5."""
    model = load_model_arg(model_path)
    model.summary(explain=explain, print_fn=click.echo)
