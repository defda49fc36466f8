"""W2: wall time to ≥ 99.0 % MNIST test accuracy with ``--recipe fast`` (model creation + training + test pass).

The data is already loaded (uint8 arrays in memory, and on the GPU when one is
used), as in the public records this is compared with. Each run is repeated;
the first run also pays for one-time start-up (CUDA context, kernel
selection) and is reported separately.

Run: ``python bench/w2_time_to_99.py [--repeats 3] [--device auto] [--recipe NAME] [--grid JSON]``
(the recipe defaults to ``fast`` on a GPU and ``fast-cpu`` on a CPU). The target's own measure, one fresh
``convlens train --recipe fast-cpu`` process per seed timed by its run.json, is
``python bench/main_job.py --seeds 0,1,2 -- --recipe fast-cpu``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, mnist, table  # noqa: E402


def run_recipe(recipe, x, y, xt, yt, device: str, seed: int) -> tuple[float, float]:
    import torch
    import torch.nn.functional as F

    from convlens import zoo
    from convlens.recipes import OneCycle
    from convlens.runs import compile_for_classification
    from convlens.utils import set_random_seed

    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    set_random_seed(seed)
    model = zoo.create(recipe.model, **recipe.model_options)
    if recipe.whiten_stem:  # the first layer's fixed filters come from the training images: timed, as part of the run
        from convlens.training.whitening import whiten_stem

        whiten_stem(model, x[:1000].cpu().numpy() if isinstance(x, torch.Tensor) else x)
    compile_for_classification(model, recipe.optimizer, None, recipe.label_smoothing, **recipe.optimizer_options)
    if recipe.label_smoothing:  # the smoothed loss takes one-hot labels, as in `convlens train`
        y, yt = (F.one_hot(torch.as_tensor(labels).long(), 10).float() for labels in (y, yt))
    per_epoch = recipe.steps_per_epoch(len(x))  # None: whole passes
    steps = (per_epoch or -(-len(x) // recipe.batch_size)) * recipe.epochs
    with recipe.autocast(device):  # bfloat16 steps where the recipe and the CPU allow, as `convlens train` does
        model.fit(x, y, batch_size=recipe.batch_size, epochs=recipe.epochs, steps_per_epoch=per_epoch, verbose=0,
                  device=device, callbacks=[OneCycle(recipe.peak_lr, steps, recipe.warmup)])
    _, accuracy = model.evaluate(xt, yt, batch_size=2000, verbose=0)
    seconds = time.perf_counter() - start
    return seconds, float(accuracy)


def main() -> None:
    import torch

    from convlens.recipes import RECIPES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--recipe", choices=sorted(RECIPES), help="default: fast on a GPU, fast-cpu on a CPU")
    parser.add_argument("--grid", default="", help="JSON list of recipe overrides to try, e.g. "
                        '\'[{"batch_size": 256, "peak_lr": 0.02}]\'')
    args = parser.parse_args()
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    (x, y), (xt, yt) = mnist()
    if device.startswith("cuda"):  # preloaded on the GPU, as the records measure
        x, y, xt, yt = (torch.as_tensor(a).to(device) for a in (x, y, xt, yt))
    base = RECIPES[args.recipe or ("fast" if device.startswith("cuda") else "fast-cpu")]
    variants = [base] + [dataclasses.replace(base, **o) for o in (json.loads(args.grid) if args.grid else [])]
    print(f"W2, {machine()}; device {device}\n")
    rows = []
    for recipe in variants:
        runs = [run_recipe(recipe, x, y, xt, yt, device, seed) for seed in range(args.repeats)]
        later = runs[1:] or runs
        options = " ".join(f"{k}={v}" for k, v in {**recipe.model_options, **recipe.optimizer_options}.items())
        rows.append([f"{recipe.model} b{recipe.batch_size} e{recipe.epochs}x{recipe.epoch_fraction} lr{recipe.peak_lr} "
                     f"w{recipe.warmup} ls{recipe.label_smoothing} {options}",
                     f"{runs[0][0]:.2f}", f"{statistics.median(s for s, _ in later):.2f}",
                     " ".join(f"{a:.4f}" for _, a in runs)])
        print(rows[-1], flush=True)
    print(table(rows, ["recipe", "first run s", "median later s", "test accuracy per run"]))


if __name__ == "__main__":
    main()
