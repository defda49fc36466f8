"""W1: the Keras MNIST example (Conv 32 → pool → Conv 64 → pool → Flatten → Dropout 0.5 → Dense 10), one epoch.

Batch 128, Adam 1e-3, 54,000 training images per epoch (validation_split 0.1),
2 epochs; reports the seconds of each epoch and the test accuracy after 2
epochs, for convlens ``fit``, idiomatic PyTorch (TensorDataset + DataLoader +
nn.Sequential) and, when installed, Keras 3 + TensorFlow (``pip install
'convlens[peers]'``), each in its own process in the same run. See
bench/RESULTS.md for the figures and the machine.

Run: ``python bench/w1_keras_mnist_epoch.py [--epochs 2] [--keras-python PATH]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, mnist, peer_parser, run_peers, table  # noqa: E402

BATCH, LR, SPLIT = 128, 1e-3, 0.1


def worker_convlens(epochs: int, device: str) -> dict:
    from convlens import Sequential, layers
    from convlens.utils import set_random_seed

    (x, y), (xt, yt) = mnist()
    set_random_seed(0)
    model = Sequential([
        layers.Input((28, 28, 1)), layers.Rescaling(1 / 255),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = []

    from convlens.callbacks import Callback

    class Timer(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    model.fit(x, y, batch_size=BATCH, epochs=epochs, validation_split=SPLIT, verbose=0, callbacks=[Timer()],
              device=device)
    _, acc = model.evaluate(xt, yt, batch_size=1024, verbose=0)
    return {"epoch_s": times, "test_accuracy": float(acc)}


def worker_pytorch(epochs: int, device: str) -> dict:
    """What a PyTorch tutorial would write: NCHW float tensors, DataLoader, nn.Sequential, the usual loop."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    dev = torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")
    (x, y), (xt, yt) = mnist()
    n_train = int(len(x) * (1 - SPLIT))
    x = torch.tensor(x[:n_train]).permute(0, 3, 1, 2).float() / 255
    y = torch.tensor(y[:n_train]).long()
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(dev), yb.to(dev)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    model.eval()
    with torch.no_grad():
        xt_t = torch.tensor(xt).permute(0, 3, 1, 2).float().div(255).to(dev)
        acc = (model(xt_t).argmax(1).cpu() == torch.tensor(yt).long()).float().mean().item()
    return {"epoch_s": times, "test_accuracy": acc}


def worker_keras(epochs: int, device: str) -> dict:
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    (x, y), (xt, yt) = mnist()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(LR), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    model.fit(x.astype("float32") / 255, y, batch_size=BATCH, epochs=epochs, validation_split=SPLIT, verbose=0,
              callbacks=[Timer()])
    _, acc = model.evaluate(xt.astype("float32") / 255, yt, batch_size=1024, verbose=0)
    return {"epoch_s": times, "test_accuracy": float(acc)}


WORKERS = {"convlens": worker_convlens, "pytorch": worker_pytorch, "keras": worker_keras}


def main() -> None:
    parser = peer_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    results = run_peers(__file__, args, WORKERS, {"epochs": args.epochs, "device": args.device})
    if results is None:
        return
    print(f"W1, {machine()}; epochs of 54,000 images, batch 128\n")
    base = results.get("keras")
    rows = []
    for peer, r in results.items():
        if r is None:
            rows.append([peer, "n/a", "n/a", "n/a", "failed or not installed"])
            continue
        later = min(r["epoch_s"][1:] or r["epoch_s"])
        # the target's measure: each peer's best epoch, the first included (a peer's later epochs may be its slower)
        ratio = f"{min(r['epoch_s']) / min(base['epoch_s']):.2f}" if base else "n/a"
        rows.append([peer, f"{r['epoch_s'][0]:.2f}", f"{later:.2f}", ratio, f"{r['test_accuracy']:.4f}"])
    print(table(rows, ["peer", "first epoch s", "best later epoch s", "best epoch × Keras+TF's best", "test accuracy"]))


if __name__ == "__main__":
    main()
