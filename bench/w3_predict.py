"""W3: ``predict`` throughput of the Keras MNIST convnet on the 10,000 test images, images per second.

Peers, each in its own process in the same run: convlens ``model.predict``,
idiomatic PyTorch (DataLoader over the test set, ``torch.no_grad``) and, when
installed, Keras 3 + TensorFlow ``model.predict``. The same random weights
layout is used by all (the untrained model: throughput does not depend on the
values). Batch sizes: Keras's default 32 and a large 1,024. Best of 5 passes
after one warm-up pass.

Run: ``python bench/w3_predict.py [--keras-python PATH] [--device auto]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, mnist, peer_parser, run_peers, table  # noqa: E402

BATCHES = (32, 1024)


def best_rate(fn, n: int, repeats: int = 5) -> float:
    fn()
    best = min(_timed(fn) for _ in range(repeats))
    return n / best


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def worker_convlens(device: str) -> dict:
    from convlens import zoo

    _, (xt, _) = mnist()
    model = zoo.create("mnist-convnet")  # Rescaling inside: raw uint8 pixels go straight in
    if device != "auto":
        model.to(device)
    elif __import__("torch").cuda.is_available():
        model.to("cuda")
    return {str(b): best_rate(lambda b=b: model.predict(xt, batch_size=b, verbose=0), len(xt)) for b in BATCHES}


def worker_pytorch(device: str) -> dict:
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    dev = torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")
    _, (xt, _) = mnist()
    data = torch.tensor(xt).permute(0, 3, 1, 2).float() / 255
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10),
                          nn.Softmax(dim=1)).to(dev).eval()

    def run(batch: int) -> None:
        with torch.no_grad():
            outs = [model(xb.to(dev)).cpu() for (xb,) in DataLoader(TensorDataset(data), batch_size=batch)]
        torch.cat(outs).numpy()

    return {str(b): best_rate(lambda b=b: run(b), len(xt)) for b in BATCHES}


def worker_keras(device: str) -> dict:
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    _, (xt, _) = mnist()
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax")])
    x = xt.astype("float32") / 255
    return {str(b): best_rate(lambda b=b: model.predict(x, batch_size=b, verbose=0), len(xt)) for b in BATCHES}


WORKERS = {"convlens": worker_convlens, "pytorch": worker_pytorch, "keras": worker_keras}


def main() -> None:
    args = peer_parser(__doc__).parse_args()
    results = run_peers(__file__, args, WORKERS, {"device": args.device})
    if results is None:
        return
    print(f"W3, {machine()}; 10,000 MNIST test images\n")
    base = results.get("keras")
    rows = []
    for peer, r in results.items():
        for b in map(str, BATCHES):
            if r is None:
                rows.append([peer, b, "n/a", "n/a"])
                continue
            ratio = f"{r[b] / base[b]:.2f}" if base else "n/a"
            rows.append([peer, b, f"{r[b]:,.0f}", ratio])
    print(table(rows, ["peer", "batch", "images/s", "× Keras+TF"]))


if __name__ == "__main__":
    main()
