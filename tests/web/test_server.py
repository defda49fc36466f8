"""The API against a real uvicorn on a free loopback port: every contract field, bad inputs, concurrency, events."""

from __future__ import annotations

import json
import socket
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from convlens import lens
from convlens.web.images import mnist_digit

from .conftest import png, request, seven


def test_model_contract(served, run_dir):
    url, model = served
    status, body = request(url + "api/model")
    assert status == 200
    assert body["class_names"] == [f"digit {i}" for i in range(10)]
    assert [(layer["name"], layer["class_name"]) for layer in body["layers"]] == \
        [(layer.name, type(layer).__name__) for layer in model.layers]
    assert [layer["output_shape"] for layer in body["layers"]] == [list(s) for s in model.layer_output_shapes]
    assert body["drawing"] is True and body["live"] is (run_dir / "live").is_dir()
    assert any("3·3·1·6 + 6 = 60" in f for row in body["formulas"] for f in row["formulas"])


def test_predict_drawing_equals_model_predict(served):
    url, model = served
    status, body = request(url + "api/predict?draw=1&input=1", png(seven()))
    assert status == 200
    digit = mnist_digit(seven())
    np.testing.assert_allclose(body["input"], np.round(digit, 2), atol=1e-6)
    expected = model.predict(digit[None, ..., None], verbose=0)[0]
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-5, atol=1e-7)
    assert body["top"] == int(np.argmax(expected)) and body["class_names"][body["top"]] == f"digit {body['top']}"
    assert "input" not in request(url + "api/predict?draw=1", png(seven()))[1]  # the preview only when asked for


def test_explain_contract_equals_layer_output(served, sample):
    url, model = served
    image = sample[2][1]
    conv = model.layers[1].name
    status, body = request(url + f"api/explain?layer={conv}&map=2&y=9&x=4", png(image))
    assert status == 200
    for field in ("window", "kernel", "products", "sum", "bias", "value"):
        assert field in body
    expected = lens.activations(model, image.astype(np.float32), [conv])[conv][9, 4, 2]
    assert body["value"] == pytest.approx(float(expected), abs=1e-6)
    assert max(body["sum"] + body["bias"], 0) == pytest.approx(float(expected), abs=1e-5)
    assert np.array(body["products"]).shape == (3, 3, 1)


def test_maps(served, sample):
    url, model = served
    status, body = request(url + "api/maps", png(sample[2][0]))
    assert status == 200
    assert [layer["name"] for layer in body["layers"]] == [model.layers[i].name for i in (1, 2, 3, 4)]
    assert np.array(body["layers"][0]["maps"]).shape == (6, 26, 26)


@pytest.mark.parametrize("path, data, status, message", [
    ("api/predict", b"<script>alert(1)</script>", 415, "not a PNG, JPEG"),
    ("api/predict", b"", 415, "empty"),
    ("api/explain?layer=nope&map=0&y=0&x=0", "seven", 400, "unknown layer 'nope'"),
    ("api/explain?layer=conv2d&map=0&y=99&x=0", "seven", 400, "y: received 99"),
    ("api/explain?layer=conv2d&map=x&y=0&x=0", "seven", 400, "map: expected an integer"),
])
def test_bad_input(served, path, data, status, message):
    url, model = served
    if data == "seven":
        data = png(seven())
        path = path.replace("conv2d", model.layers[1].name)
    got, body = request(url + path, data)
    assert got == status and message in body["error"]


def test_upload_over_10_mb_is_413_before_it_is_read(served):
    url, _ = served
    host, port = url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST /api/predict HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {10 * 2**20 + 1}\r\n\r\n"
                     .encode() + b"\0" * 65536)
        answer = b""
        while b"accepted" not in answer:  # the head and the body may arrive in separate packets
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    head = answer.decode()
    assert head.startswith("HTTP/1.1 413") and "at most 10,485,760 are accepted" in head


def test_wrong_host_header_is_refused(served):
    url, _ = served
    status, body = request(url + "api/model", headers={"Host": "attacker.example:80"})
    assert status == 400 and "Invalid host" in body["text"]
    assert request(url + "api/model", headers={"Host": url.split("/")[2]})[0] == 200


def test_no_endpoint_reads_a_path(served):
    url, _ = served
    for path in ("static/../server.py", "static/%2e%2e/server.py", "api/model?path=/etc/passwd"):
        status, body = request(url + path)
        assert "Starlette" not in json.dumps(body) and "root:" not in json.dumps(body)
        assert status in (200, 404) and (status == 404 or "layers" in body)


def test_fifty_concurrent_predicts_answer_correctly(served, sample):
    url, model = served
    images = sample[2][:50]
    expected = model.predict(images[..., None].astype(np.float32), verbose=0)
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda im: request(url + "api/predict", png(im)), images))
    assert all(status == 200 for status, _ in answers)
    np.testing.assert_allclose([body["probabilities"] for _, body in answers], expected, rtol=1e-4, atol=1e-6)


def test_events_stream_and_resume(served, run_dir):
    url, _ = served
    (run_dir / "live").mkdir(exist_ok=True)
    events = [{"type": "epoch", "epoch": i, "logs": {"loss": 1.0 / (i + 1)}} for i in range(3)]
    (run_dir / "live" / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    got = read_stream(url + "api/events", 3)
    assert got == [(str(i), events[i]) for i in range(3)]
    resumed = read_stream(url + "api/events", 1, {"Last-Event-ID": "1"})
    assert resumed == [("2", events[2])]


def test_disconnecting_client_costs_nothing(served):
    url, _ = served
    host, port = url.split("/")[2].split(":")
    for _ in range(20):  # open the stream and hang up at once
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(f"GET /api/events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            assert b"200" in sock.recv(200)
    assert request(url + "api/model")[0] == 200


def read_stream(url: str, count: int, headers: dict | None = None) -> list[tuple[str, dict]]:
    got, event_id = [], None
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                got.append((event_id, json.loads(line[6:])))
                if len(got) == count:
                    return got
    return got


def test_keras_distribution_alias_and_the_server_share_one_process(served, sample):
    import convlens.keras as keras
    from convlens import distribution

    assert keras.distribution.set_distribution is distribution.set_distribution
    assert keras.distribution.distribution() is None  # no torchrun, nothing set: one process, nothing joined
    keras.distribution.set_distribution(None)
    url, model = served
    threads = torch.get_num_threads()
    images = sample[2][:16]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda im: request(url + "api/predict", png(im)), images))
    expected = model.predict(images[..., None].astype(np.float32), verbose=0)
    np.testing.assert_allclose([body["probabilities"] for _, body in answers], expected, rtol=1e-4, atol=1e-6)
    assert torch.get_num_threads() == threads  # the inference thread's single thread is its own
    assert not torch.distributed.is_initialized()
