"""Progress output: Keras's bar on terminals, one line per epoch elsewhere, silence with verbose=0."""

from __future__ import annotations

import io
import re

import rich.console

from convlens.training import progress
from convlens.training.progress import ProgressBar

NUMBER = r"\d+\.\d{4}"
LINE_2 = rf"4/4 - \d+s - \d+(ms|us|s)/step - accuracy: {NUMBER} - loss: {NUMBER} - val_accuracy: {NUMBER} - val_loss: {NUMBER}"
BAR = "━" * 20


def test_verbose_2_prints_one_line_per_epoch(model, data, capsys):
    x, y = data
    model.fit(x, y, batch_size=16, epochs=2, validation_data=(x, y), verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(LINE_2, lines[1]) and re.fullmatch(LINE_2, lines[3])


def test_auto_on_a_pipe_is_one_line_per_epoch(model, data, capsys):
    x, y = data
    assert progress.resolve_verbose("auto") == 2  # captured output is not a terminal
    model.fit(x, y, batch_size=16, epochs=3, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and all(re.fullmatch(LINE_2, line) for line in lines[1::2])


def test_verbose_1_off_a_terminal_leaves_the_final_bar_line(model, data, capsys):
    x, y = data
    model.fit(x, y, batch_size=16, epochs=1, validation_data=(x, y), verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1  # one epoch: no "Epoch 1/1" header, as Keras
    assert re.fullmatch(rf"4/4 {BAR} \d+s \d+(ms|us|s)/step - accuracy: {NUMBER} - loss: {NUMBER} - "
                        rf"val_accuracy: {NUMBER} - val_loss: {NUMBER}", lines[0])


def test_verbose_0_is_silent_everywhere(model, data, capsys):
    x, y = data
    model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_and_predict_lines(model, data, capsys):
    x, y = data
    model.evaluate(x, y, batch_size=32, verbose=2)
    model.predict(x, batch_size=32, verbose=2)
    evaluate_line, predict_line = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"2/2 - \d+s - \d+(ms|us|s)/step - accuracy: {NUMBER} - loss: {NUMBER}", evaluate_line)
    assert re.fullmatch(r"2/2 - \d+s - \d+(ms|us|s)/step", predict_line)


def test_terminal_bar_redraws_with_eta_and_reads_metrics_only_when_it_redraws(monkeypatch):
    out = io.StringIO()
    console = rich.console.Console(file=out, force_terminal=True, width=200, color_system=None)
    reads = []

    def logs():
        reads.append(1)
        return {"loss": 0.5}

    bar = ProgressBar(1, console=console)
    monkeypatch.setattr(progress, "REFRESH_SECONDS", 3600.0)
    bar.start(10)
    for step in range(1, 6):
        bar.update(step, logs)
    assert reads == []  # within the refresh interval: no device sync at all
    monkeypatch.setattr(progress, "REFRESH_SECONDS", 0.0)
    bar.update(6, logs)
    bar.finish(10, {"loss": 0.25})
    text = out.getvalue()
    assert reads == [1]
    assert re.search(r" 6/10 ━{12}━{8} \d+s \d+(ms|us|s)/step - loss: 0\.5000", text)  # ETA while running
    assert re.search(rf"10/10 {BAR} \d+s \d+(ms|us|s)/step - loss: 0\.2500", text)


def test_keras_number_formats():
    assert progress.format_logs({"loss": 0.33571, "lr": 0.0001}) == " - loss: 0.3357 - lr: 1.0000e-04"
    assert [progress.format_step_time(t) for t in (2.4, 0.0283, 0.00035)] == ["2s/step", "28ms/step", "350us/step"]
    assert [progress.format_eta(t) for t in (42.7, 185, 3723)] == ["42s", "3:05", "1:02:03"]
