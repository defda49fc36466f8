"""Where a CPU training step of W1 and W2's models goes, and the layer choices behind it, measured interleaved.

W1 is the Keras MNIST convnet (batch 128); W2 the ``mnist_fast`` zoo model at
16/32/64 filters (batch 256). A step is forward, ``nll_loss`` on the log of
the softmax output, backward and ``torch.optim.Adam``, on random uint8 images.

Parts (``--part``), each timed A, B, A, B, ... in one process, best and median:
  ops      the operations the layers choose between, on the benchmarks' shapes
  steps    whole steps: Sequential's forward against the layers called one by one
  profile  the torch.profiler table of 20 steps of each model

The 2-core machine is shared and its timings wander by ±30 %; compare the
variants of one run, not runs. ``--keep-freed-memory`` stops glibc from
handing freed memory back to the kernel (``mallopt``), for the whole process:
a new 11-13 MB activation otherwise pays a page fault per 4 KiB page.

Measured on the 2-core AMD EPYC (Zen 3, AVX2, no AVX-512), torch 2.13.0+cpu,
2 threads, nothing else running; best / median in ms:
  W1 step: Sequential 23.5 / 26.3, the layers one by one 25.1 / 27.9
  W2 step: Sequential 37.4 / 40.5, the layers one by one 39.6 / 43.9
  ReLU + 2x2 max-pool on (128, 26, 26, 32), fwd + bwd: ReLU first 4.6 / 9.2,
    pool first then ReLU in place 3.3 / 3.9 (on the channels-last view 3.8 / 5.7)
  ReLU of that conv output: new tensor 0.38 / 0.47, in place 0.15 / 0.20
  2x2 max-pool forward: F.max_pool2d 0.94 / 1.49, four strided maxima
    1.06 / 1.28, amax over a reshaped view 15.8 / 16.3
  Dropout(0.5) on (128, 1600), fwd + bwd: rand_like 2.17 / 2.26, keep_mask
    0.51 / 0.57 (rate 0.3: 1.06 / 1.17)
  Conv2D passes, best of 20, oneDNN against im2col + matmul (the im2col
    buffer is a new tensor per call, as it would be in training):
    (128, 28, 28, 1) -> 32: forward 0.79 / 3.89, weight gradient 1.32 / 7.56
    (128, 13, 13, 32) -> 64: forward 4.63 / 11.56, weight gradient 6.95 / 11.42,
      input gradient (oneDNN) 4.11
    (256, 7, 7, 32) -> 64: forward 2.64 / 2.49, weight gradient 3.63 / 2.53
  BatchNormalization training on (256, 28, 28, 16), fwd + bwd: var_mean
    under autograd 23.0 / 37.7, F.batch_norm 4.8 / 6.2
With --keep-freed-memory the steps' medians drop by up to a quarter when
the default allocator faults (W2: 10 ms a step in separate runs).

Run: ``PYTHONPATH=src python bench/profile_cpu_step.py [--part ops,steps,profile] [--keep-freed-memory]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch
import torch.nn.functional as F


def keep_freed_memory() -> None:
    """glibc: serve large blocks from the heap and never trim it (what ``fit`` on a CPU does, ``host_memory.py``)."""
    from convlens.training.host_memory import retain_freed_memory

    if not retain_freed_memory():
        raise SystemExit("--keep-freed-memory: glibc's mallopt is not available here (or an opt-out is set).")


def interleaved(variants: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds of each call, the variants taking turns."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def report(title: str, variants: dict[str, Callable[[], object]], repeats: int = 40) -> None:
    for fn in variants.values():  # warm-up: oneDNN picks its kernels, the allocator settles
        fn()
    print(title)
    for name, seconds in interleaved(variants, repeats).items():
        print(f"  {name:44s} best {min(seconds) * 1e3:7.3f} ms   median {statistics.median(seconds) * 1e3:7.3f} ms")


def w1_model():
    from convlens import Sequential, layers

    return Sequential([
        layers.Input((28, 28, 1)), layers.Rescaling(1 / 255),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")]), 128


def w2_model():
    from convlens import zoo

    return zoo.create("mnist_fast"), 256


def training_step(model, batch: int, forward: Callable | None = None) -> Callable[[], None]:
    """One step of Adam on a fixed random batch; ``forward`` replaces ``model(x)``."""
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randint(0, 256, (batch, 28, 28, 1), dtype=torch.uint8)
    y = torch.randint(0, 10, (batch,))
    forward = forward or model

    def step() -> None:
        loss = F.nll_loss(torch.log(forward(x)), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def layer_by_layer(model) -> Callable[[torch.Tensor], torch.Tensor]:
    """The forward pass without Sequential's shortcuts: each layer called in turn."""
    def forward(x: torch.Tensor) -> torch.Tensor:
        x = x.to(torch.float32)
        for layer in model.layers:
            x = layer(x)
        return x

    return forward


def part_steps() -> None:
    for name, make in (("W1", w1_model), ("W2", w2_model)):
        torch.manual_seed(0)
        model, batch = make()
        twin, _ = make()
        twin.set_weights(model.get_weights())
        report(f"{name} training step (batch {batch})", {
            "Sequential (pooling before ReLU)": training_step(model, batch),
            "layers one by one": training_step(twin, batch, layer_by_layer(twin)),
        })


def forward_backward(fn: Callable[[], torch.Tensor], grad: torch.Tensor) -> Callable[[], None]:
    return lambda: fn().backward(grad)


def part_ops() -> None:
    from convlens.layers.core import keep_mask

    # 1-2. ReLU and 2x2 max-pooling on the first convolution's output (W1), forward + backward.
    x = torch.randn(128, 26, 26, 32).movedim(-1, 1).requires_grad_()  # (N, C, H, W), channels-last memory
    g = torch.randn(128, 13, 13, 32).movedim(-1, 1)
    report("ReLU and max-pooling, (128, 26, 26, 32) -> (128, 13, 13, 32), forward + backward", {
        "relu, then pool": forward_backward(lambda: F.max_pool2d(F.relu(x), 2), g),
        "pool, then relu": forward_backward(lambda: F.relu(F.max_pool2d(x, 2)), g),
        "pool, then relu_ in place": forward_backward(lambda: F.relu_(F.max_pool2d(x, 2)), g),
        "pool, then relu_ on the channels-last view": forward_backward(
            lambda: F.relu_(F.max_pool2d(x, 2).movedim(1, -1)), g.movedim(1, -1)),
    })
    y = torch.randn(128, 26, 26, 32).movedim(-1, 1)
    report("ReLU of a (128, 26, 26, 32) convolution output", {
        "new tensor": lambda: F.relu(y), "in place": lambda: F.relu_(y)})

    # 3. 2x2 max-pooling forward, channels-last.
    xl = torch.randn(128, 26, 26, 32)
    report("2x2 max-pooling forward, (128, 26, 26, 32)", {
        "F.max_pool2d on the NCHW view": lambda: F.max_pool2d(xl.movedim(-1, 1), 2),
        "amax over a (N, 13, 2, 13, 2, C) view": lambda: xl.view(128, 13, 2, 13, 2, 32).amax(dim=(2, 4)),
        "maximum of the four strided views": lambda: torch.maximum(
            torch.maximum(xl[:, 0::2, 0::2], xl[:, 0::2, 1::2]), torch.maximum(xl[:, 1::2, 0::2], xl[:, 1::2, 1::2])),
    })

    # 4. Dropout(0.5) on W1's (128, 1600) features, forward + backward.
    h = torch.randn(128, 1600, requires_grad=True)
    gh = torch.randn(128, 1600)
    report("Dropout(0.5), (128, 1600), forward + backward", {
        "rand_like >= rate, x * keep * scale": forward_backward(lambda: h * (torch.rand_like(h) >= 0.5) * 2.0, gh),
        "keep_mask (random bytes, 256-row table)": forward_backward(lambda: h * keep_mask(h, 0.5), gh),
        "keep_mask, rate 0.3 (16-bit chunks)": forward_backward(lambda: h * keep_mask(h, 0.3), gh),
    })

    # 5. Convolutions: oneDNN against im2col + matmul, per pass.
    for batch, channels, size, filters, pad in ((128, 1, 28, 32, 0), (128, 32, 13, 64, 0),
                                                (256, 16, 14, 32, 1), (256, 32, 7, 64, 0)):
        conv_ops(batch, channels, size, filters, pad)

    # 6. BatchNormalization in training mode, (256, 28, 28, 16) channels-last, forward + backward.
    b = torch.randn(256, 28, 28, 16).requires_grad_()
    gb = torch.randn(256, 28, 28, 16)
    gamma, beta = torch.ones(16, requires_grad=True), torch.zeros(16, requires_grad=True)

    def var_mean_formula() -> torch.Tensor:
        var, mean = torch.var_mean(b, dim=(0, 1, 2), correction=0)
        inv = torch.rsqrt(var + 1e-3) * gamma
        return b * inv + (beta - mean * inv)

    report("BatchNormalization training, (256, 28, 28, 16), forward + backward", {
        "var_mean and Keras's formula under autograd": forward_backward(var_mean_formula, gb),
        "F.batch_norm on the NCHW view": forward_backward(
            lambda: F.batch_norm(b.movedim(-1, 1), None, None, gamma, beta, True, 0.0, 1e-3).movedim(1, -1), gb),
    })


def conv_ops(batch: int, channels: int, size: int, filters: int, pad: int) -> None:
    """oneDNN's three convolution passes against im2col (strided view, one copy) + matmul, 3x3 kernels."""
    xl = torch.randn(batch, size, size, channels)
    x, w = xl.movedim(-1, 1), torch.randn(filters, channels, 3, 3)
    out = size - 2 + 2 * pad
    gl = torch.randn(batch, out, out, filters)
    g = gl.movedim(-1, 1)

    def backward(mask: list[bool]) -> Callable[[], object]:
        return lambda: torch.ops.aten.convolution_backward(g, x, w, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, mask)

    def columns() -> torch.Tensor:  # (N·out·out, 9·C), rows in the output's channels-last order
        padded = F.pad(xl, (0, 0, pad, pad, pad, pad)) if pad else xl
        s = padded.stride()
        view = padded.as_strided((batch, out, out, 3, 3, channels), (s[0], s[1], s[2], s[1], s[2], s[3]))
        return view.reshape(-1, 9 * channels)

    matrix = w.permute(0, 2, 3, 1).reshape(filters, -1)  # (filters, 9·C)
    variants = {
        "oneDNN forward": lambda: F.conv2d(x, w, padding=pad),
        "im2col + matmul forward": lambda: columns() @ matrix.t(),
        "oneDNN weight gradient": backward([False, True, False]),
        "im2col + matmul weight gradient": lambda: gl.reshape(-1, filters).t() @ columns(),
        "oneDNN weight + bias gradient": backward([False, True, True]),
        "oneDNN weight gradient + row sums for the bias": lambda: (backward([False, True, False])(),
                                                                 gl.reshape(-1, filters).sum(0)),
    }
    if channels > 1:
        variants["oneDNN input gradient"] = backward([True, False, False])
    report(f"Conv2D 3x3, ({batch}, {size}, {size}, {channels}) -> {filters} filters, padding {pad}", variants, 20)


def part_profile() -> None:
    from torch.profiler import ProfilerActivity, profile

    for name, make in (("W1", w1_model), ("W2", w2_model)):
        torch.manual_seed(0)
        step = training_step(*make())
        for _ in range(5):
            step()
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for _ in range(20):
                step()
        print(f"{name}: 20 steps")
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=20,
                                                                 max_name_column_width=40, max_shapes_column_width=60))


PARTS = {"ops": part_ops, "steps": part_steps, "profile": part_profile}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="ops,steps,profile", help=f"comma-separated, from {', '.join(PARTS)}")
    parser.add_argument("--keep-freed-memory", action="store_true", help="glibc mallopt for the whole process")
    args = parser.parse_args()
    parts = args.part.split(",")
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {unknown}; allowed: {', '.join(PARTS)}")
    if args.keep_freed_memory:
        keep_freed_memory()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, keep freed memory: {args.keep_freed_memory}\n")
    for part in parts:
        PARTS[part]()


if __name__ == "__main__":
    main()
