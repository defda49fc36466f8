"""W2 probe: how fast the fast recipe's epoch runs when the whole training step is one CUDA graph.

Not convlens's ``fit``: a measurement of the remaining head-room on a GPU,
for the W2 target (≤ 0.3 s to 99 % on an H100). The same ``mnist_fast``
convlens model is trained with PyTorch's capturable Adam (PyTorch's update
rule, not Keras's) under the one-cycle schedule; forward, backward and the
optimizer step are captured once and replayed for every batch, so a step
costs one graph launch instead of a few hundred kernel launches from Python.

Run (GPU only): ``python bench/w2_cuda_graph_probe.py``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, mnist, table  # noqa: E402


def run(x, y, xt, yt, batch: int, peak: float, epochs: int = 1, seed: int = 0) -> tuple[float, float]:
    from convlens import zoo
    from convlens.recipes import OneCycle

    torch.cuda.synchronize()
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = zoo.create("mnist_fast").cuda()
    model.train()
    lr = torch.tensor(0.0, device="cuda")
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7, capturable=True)
    steps_per_epoch = len(x) // batch
    schedule = OneCycle(peak, steps_per_epoch * epochs, 0.2)
    static_x = x[:batch].clone()
    static_y = y[:batch].clone()

    def step() -> None:
        out = model(static_x)  # (batch, 10) softmax probabilities
        loss = F.nll_loss(torch.log(out.clamp(1e-7, 1 - 1e-7)), static_y)
        loss.backward()
        opt.step()

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up on a side stream, as CUDA graph capture requires
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        step()
    n = 0
    for _ in range(epochs):
        order = torch.randperm(len(x), device="cuda")
        for i in range(steps_per_epoch):
            idx = order[i * batch:(i + 1) * batch]
            static_x.copy_(x[idx])
            static_y.copy_(y[idx])
            lr.fill_(schedule.rate(n))
            graph.replay()
            n += 1
    model.eval()
    with torch.inference_mode():
        correct = sum(int((model(xt[i:i + 2500]).argmax(1) == yt[i:i + 2500]).sum()) for i in range(0, len(xt), 2500))
    torch.cuda.synchronize()
    return time.perf_counter() - start, correct / len(xt)


def main() -> None:
    (x, y), (xt, yt) = mnist()
    x, xt = torch.as_tensor(x).cuda(), torch.as_tensor(xt).cuda()
    y, yt = torch.as_tensor(y).long().cuda(), torch.as_tensor(yt).long().cuda()
    rows = []
    for batch, peak, epochs in [(256, 0.02, 1), (512, 0.03, 1), (512, 0.02, 2), (1024, 0.03, 2)]:
        runs = [run(x, y, xt, yt, batch, peak, epochs, seed) for seed in range(4)]
        later = sorted(s for s, _ in runs[1:])
        rows.append([f"b{batch} lr{peak} e{epochs}", f"{runs[0][0]:.2f}", f"{later[len(later) // 2]:.3f}",
                     " ".join(f"{a:.4f}" for _, a in runs)])
        print(rows[-1], flush=True)
    print(f"W2 CUDA-graph probe, {machine()}\n")
    print(table(rows, ["setting", "first run s", "median later s", "test accuracy per seed"]))


if __name__ == "__main__":
    main()
