"""``convlens train --serve``: a short real run pushes epoch updates to a client of its event stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from .conftest import request


def test_train_serve_streams_epochs(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    command = [sys.executable, "-m", "convlens", "train", "--model", "mnist-fast", "--sample", "--epochs", "2",
               "--batch-size", "256", "--validation-split", "0.5", "--no-pictures", "--out", str(tmp_path / "run"),
               "--serve", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        url = None
        for line in process.stdout:
            if "Watch the training at " in line:
                url = line.split("Watch the training at ")[1].strip()
                break
        assert url, "the URL was not printed"
        assert request(url + "api/model")[1]["live"] is True
        epochs = []
        with urllib.request.urlopen(url + "api/events", timeout=120) as stream:
            for raw in stream:
                line = raw.decode()
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event["type"] == "epoch":
                        epochs.append(event)
                    if event["type"] == "done":
                        break
        assert [e["epoch"] for e in epochs] == [0, 1]
        assert all(0 <= e["logs"]["accuracy"] <= 1 and e["filters"] and e["maps"] for e in epochs)
        snapshot = json.loads((tmp_path / "run" / "live" / "epoch_1.json").read_text())
        assert snapshot["filters"] == epochs[1]["filters"]
    finally:
        process.terminate()
        process.wait(20)
