"""``convlens train``: train a CNN and leave a run folder."""

from __future__ import annotations

import sys

import click

from ..recipes import RECIPES
from ..distribution import launch
from ..distribution.engine_hooks import is_writer
from ..runs import BUILTIN_DATA, ONE_CYCLE_PEAK_FACTOR, SCHEDULES, RunConfig, _default_out, resume_config, train

_DEFAULTS = RunConfig()


@click.command("train")
@click.option("--model", default=_DEFAULTS.model, show_default=True,
              help="Architecture from the zoo: mnist-convnet, lenet5, tutorial-cnn, tinyvgg, vgg16, ...")
@click.option("--data", default=_DEFAULTS.data, show_default=True,
              help=f"{' or '.join(BUILTIN_DATA)} (full set when found, else the shipped MNIST sample), "
                   "or a folder holding one sub-folder of images per class.")
@click.option("--epochs", type=click.IntRange(min=1), default=_DEFAULTS.epochs, show_default=True,
              help="Passes over the training set.")
@click.option("--batch-size", type=click.IntRange(min=1), default=_DEFAULTS.batch_size, show_default=True,
              help="Images per gradient step. The default 256 trains the notes' model on MNIST to the test "
                   "accuracy that batch 16 at Keras's constant rate reached (98.65-98.69 % after 2 epochs, seeds "
                   "0-2) with 16x fewer steps, and a CPU runs one step on 256 images in a fraction of the time of "
                   "16 steps on 16; the one-cycle schedule (--schedule) is what keeps the accuracy at the larger "
                   "batch.")
@click.option("--optimizer", type=click.Choice(["sgd", "adam", "adamw", "rmsprop"]), default=_DEFAULTS.optimizer,
              show_default=True, help="Gradient-descent variant.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Learning rate: the peak of the one-cycle schedule (default: "
                   f"{ONE_CYCLE_PEAK_FACTOR:g}x the optimizer's Keras default, 0.006 for adam) or the constant rate "
                   "(default: the Keras default, e.g. 0.001 for adam).")
@click.option("--schedule", type=click.Choice(SCHEDULES), default=_DEFAULTS.schedule, show_default=True,
              help="Learning rate over the run: one-cycle rises linearly from 0 to the peak over the first 20 % of "
                   "the steps, then falls linearly to 0, which lets a few large steps train as well as many small "
                   "ones; constant keeps the rate fixed, as Keras's fit does.")
@click.option("--seed", type=int, default=_DEFAULTS.seed, show_default=True,
              help="Random seed for weights, shuffling and dropout; the same seed repeats a CPU run exactly.")
@click.option("--device", default=_DEFAULTS.device, show_default=True,
              help="auto (a CUDA GPU when one is present), cpu, cuda or cuda:N.")
@click.option("--validation-split", type=click.FloatRange(0, 1, max_open=True), default=_DEFAULTS.validation_split,
              show_default=True, help="Fraction of the training set (its last samples) held out for val_ metrics.")
@click.option("--image-size", type=(int, int), default=_DEFAULTS.image_size, show_default=True,
              help="HEIGHT WIDTH that folder images are resized to.")
@click.option("--recipe", type=click.Choice(sorted(RECIPES)), default=None,
              help="A tuned recipe that fixes model, batch size, epochs and learning-rate schedule: 'fast' reaches "
                   "99.1 % MNIST test accuracy on average in one epoch (0.24 s of an H100; 25 of 26 seeded runs "
                   "reached 99.0 %), 'fast-cpu' the same schedule on a 4x smaller model whose first layer is fixed to "
                   "patch-whitening filters of the training images, so nothing trains in its first block, for a "
                   "CPU: batch 256, labels smoothed by 0.05, the first 85 % of one shuffled epoch, and bfloat16 "
                   "steps where the CPU has bfloat16 instructions (AVX512_BF16 or AMX; the test pass stays "
                   "float32): 4.1-5.1 s to 99.05-99.17 % on a 2-core AVX-512 CPU, 4.8-6.2 s in float32 "
                   "(see bench/RESULTS.md).")
@click.option("--sample", is_flag=True, help="Train on the MNIST sample shipped with convlens even if the full set is found.")
@click.option("--no-pictures", is_flag=True, help="Skip drawing curves, confusion matrix, filters and feature maps.")
@click.option("--out", default="", help="Run folder to create (default: runs/<model>-<date>-<time>).")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), default=None,
              help="Continue the interrupted run in this folder (and only there) from its last completed epoch; "
                   "with --epochs N, train a finished run on to N epochs. Other options are taken from the run.")
@click.option("--serve", "serve_port", is_flag=False, flag_value=-1, type=int, default=None, metavar="[PORT]",
              help="Watch training in the browser: serve the live view on 127.0.0.1 (default port 8765, or a free "
                   "one) and keep serving after training until Ctrl-C.")
@click.option("--nproc", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes on this machine, training data-parallel (one per GPU; on a CPU each gets a share of the "
                   "cores); --batch-size stays the global batch.")
@click.option("--nnodes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Machines in the job (run the same command on each; see README, 'Training on many machines').")
@click.option("--node-rank", type=click.IntRange(min=0), default=0, show_default=True, help="This machine's index, 0..nnodes-1.")
@click.option("--rdzv-endpoint", default=None, help="HOST:PORT on the first machine where the processes meet (several machines).")
def train_command(model: str, data: str, epochs: int, batch_size: int, optimizer: str, lr: float | None,
                  schedule: str, seed: int,
                  device: str, validation_split: float, image_size: tuple[int, int], recipe: str | None, sample: bool,
                  no_pictures: bool, out: str, resume_dir: str | None, serve_port: int | None, nproc: int, nnodes: int,
                  node_rank: int, rdzv_endpoint: str | None) -> None:
    """Train a CNN (default: the Keras MNIST convnet on MNIST) and write a run folder.

    The folder holds model.keras, metrics.csv, summary.txt (with formulas),
    run.json and pictures (curves.png, confusion.png, filters.png,
    feature_maps.png). Interrupt it at any time and continue with --resume.
    """
    if nproc > 1 or nnodes > 1:
        _launch(nproc, nnodes, node_rank, rdzv_endpoint, out, model, resume_dir)
        return
    live = None
    if serve_port is not None:
        from ..web.live import LiveServer

        live = LiveServer(None if serve_port < 0 else serve_port)
    try:
        if resume_dir is not None:
            given = click.get_current_context().get_parameter_source("epochs") == click.core.ParameterSource.COMMANDLINE
            result = train(resume_config(resume_dir, epochs if given else None), resume=True, extra_callbacks=live)
        else:
            config = RunConfig(model=model, data=data, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                               lr=lr, schedule=schedule, seed=seed, device=device, validation_split=validation_split,
                               image_size=image_size, sample=sample, pictures=not no_pictures, out=out,
                               recipe=recipe)
            result = train(config, extra_callbacks=live)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if is_writer():
        click.echo(f"Run folder: {result.out}")
    if live is not None:
        live.wait()


def _launch(nproc: int, nnodes: int, node_rank: int, rdzv_endpoint: str | None, out: str, model: str,
            resume_dir: str | None) -> None:
    """Start the data-parallel job; every process must write to the same run folder, so it is fixed here."""
    args = launch.without_launch_options(sys.argv[sys.argv.index("train") + 1 :] if "train" in sys.argv else [])
    if resume_dir is None and not out:
        args += ["--out", str(_default_out(model))]
    try:
        status = launch.run(nproc, nnodes, node_rank, rdzv_endpoint, args)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if status:
        raise click.ClickException(f"the data-parallel job failed (exit status {status}); see the messages above.")
