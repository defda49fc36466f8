"""Web lens predict round trips: p50/p99 for a 28×28 drawing (mnist-convnet) and a 180×180 upload (tutorial CNN).

The server runs as `convlens serve` does, in its own process (uvicorn on a free loopback port); this process is
the clients: 1 and then 8 threads, each on its own keep-alive connection as a browser tab holds one, sending
``--requests`` PNG bodies per setting. Printed per case: p50/p99 at 1 and 8 clients and the server's resident
memory after all of its requests. ``--profile`` first times each stage of the predict path in one process.

    python bench/web_latency.py --requests 1000
    python bench/web_latency.py --profile --requests 200

Targets on the 2-core CPU: the drawing at 8 clients p50 ≤ 30 ms, p99 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

CASES = {  # name: (zoo model, its options, query)
    "28×28 drawing, mnist-convnet": ("mnist-convnet", {}, "?draw=1"),
    "180×180 upload, tutorial CNN": ("tutorial-cnn", {"input_shape": (180, 180, 3), "num_classes": 5}, ""),
}
SERVER = """
import sys, json
from convlens import zoo
from convlens.web.launch import make_server
name, options = sys.argv[1], json.loads(sys.argv[2])
if "input_shape" in options:
    options["input_shape"] = tuple(options["input_shape"])
server = make_server(zoo.create(name, **options), port=0).start()  # returns once the port accepts connections
print(server.url, flush=True)
sys.stdin.read()  # serve until the benchmark closes the pipe
"""


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def bodies() -> dict[str, bytes]:
    drawing = np.zeros((280, 280), np.uint8)
    drawing[50:70, 60:180] = 255
    drawing[60:220, 140:160] = 255
    photo = np.random.default_rng(0).integers(0, 255, (180, 180, 3), dtype=np.uint8)
    return {"28×28 drawing, mnist-convnet": png(drawing), "180×180 upload, tutorial CNN": png(photo)}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(url: str, path: str, body: bytes, clients: int, count: int) -> tuple[float, float]:
    host, port = url.split("/")[2].split(":")

    def client(n: int) -> list[float]:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        times = []
        for _ in range(n):
            start = time.perf_counter()
            connection.request("POST", path, body, {"Content-Type": "image/png"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
            times.append(time.perf_counter() - start)
        connection.close()
        return times

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, [5] * clients))  # warm-up: connections, first calls
        shares = [count // clients + (i < count % clients) for i in range(clients)]
        times = np.concatenate(list(pool.map(client, shares))) * 1000
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def profile(count: int) -> None:
    """Median time of each stage of one drawing's predict, in this process."""
    from convlens import zoo
    from convlens.lens.scores import predict_proba
    from convlens.web.images import decode, mnist_digit
    from convlens.web.inference import _compute_on_one_thread

    import threading

    model = zoo.create("mnist-convnet")
    body = bodies()["28×28 drawing, mnist-convnet"]
    pixels = decode(body, 1)
    digit = mnist_digit(pixels)[..., None]
    probabilities = predict_proba(model, digit[None])[0]

    def timed(fn) -> float:
        fn()
        times = []
        for _ in range(count):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return float(np.median(times)) * 1000

    stages = {"decode (Pillow)": lambda: decode(body, 1), "MNIST preprocessing": lambda: mnist_digit(pixels),
              "model call, 1 image, this thread": lambda: predict_proba(model, digit[None]),
              "model call, batch of 8, this thread": lambda: predict_proba(model, np.repeat(digit[None], 8, 0)),
              "JSON answer": lambda: json.dumps({"probabilities": probabilities.tolist(), "top": 1})}
    for name, fn in stages.items():
        print(f"profile: {name}: {timed(fn):.2f} ms")
    one: list[float] = []

    def on_one_thread():
        _compute_on_one_thread()
        one.append(timed(lambda: predict_proba(model, digit[None])))
        one.append(timed(lambda: predict_proba(model, np.repeat(digit[None], 8, 0))))

    worker = threading.Thread(target=on_one_thread)
    worker.start()
    worker.join()
    print(f"profile: model call, 1 image, one OpenMP thread (the inference thread): {one[0]:.2f} ms")
    print(f"profile: model call, batch of 8, one OpenMP thread: {one[1]:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per client setting")
    parser.add_argument("--profile", action="store_true", help="first time each stage of the predict path")
    args = parser.parse_args()
    if args.profile:
        profile(min(args.requests, 200))
    payloads = bodies()
    for name, (model, options, query) in CASES.items():
        server = subprocess.Popen([sys.executable, "-c", SERVER, model, json.dumps(options)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            url = server.stdout.readline().strip()
            for clients in (1, 8):
                p50, p99 = measure(url, "/api/predict" + query, payloads[name], clients, args.requests)
                print(f"{name}: {clients} client{'s' if clients > 1 else ''}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
            total = 2 * args.requests + 5 * 9
            print(f"{name}: server RSS after {total} requests: {rss_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
