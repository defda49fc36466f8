"""Web lens predict round trips: p50/p99 for a 28×28 drawing (mnist-convnet) and a 180×180 upload (tutorial CNN).

Runs a real uvicorn on a free loopback port in this process, sends ``--requests`` PNG bodies from 1 and 8
concurrent clients (urllib), and reports the server's resident memory after all requests.

    python bench/web_latency.py --requests 1000
"""

from __future__ import annotations

import argparse
import io
import resource
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from convlens import zoo
from convlens.web.launch import make_server


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, body: bytes, clients: int, count: int) -> tuple[float, float]:
    def one(_):
        start = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=60) as response:
            response.read()
        return time.perf_counter() - start

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(min(20, count))))  # warm-up
        times = np.array(list(pool.map(one, range(count)))) * 1000
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    drawing = np.zeros((280, 280), np.uint8)
    drawing[50:70, 60:180] = 255
    drawing[60:220, 140:160] = 255
    cases = [("28×28 drawing, mnist-convnet", zoo.create("mnist-convnet"), png(drawing), "?draw=1"),
             ("180×180 upload, tutorial CNN", zoo.create("tutorial-cnn", input_shape=(180, 180, 3), num_classes=5),
              png(rng.integers(0, 255, (180, 180, 3), dtype=np.uint8)), "")]
    for name, model, body, query in cases:
        server = make_server(model, port=0).start()
        for clients in (1, 8):
            p50, p99 = measure(server.url + "api/predict" + query, body, clients, args.requests)
            print(f"{name}: {clients} client{'s' if clients > 1 else ''}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        print(f"{name}: server RSS after {2 * args.requests + 40} requests: {rss_mb():.0f} MB")
        server.stop()


if __name__ == "__main__":
    main()
