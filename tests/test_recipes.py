"""Recipes: the one-cycle schedule and how a recipe overrides a run's settings."""

from __future__ import annotations

import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.recipes import RECIPES, OneCycle
from convlens.runs import RunConfig, apply_recipe


def test_one_cycle_rises_then_falls_to_zero():
    schedule = OneCycle(peak=0.1, total_steps=10, warmup=0.2)
    rates = [schedule.rate(s) for s in range(10)]
    assert rates[:2] == pytest.approx([0.05, 0.1])
    assert rates[1] == max(rates) and all(a >= b for a, b in zip(rates[1:], rates[2:]))
    assert rates[-1] == pytest.approx(0.1 / 9)
    with pytest.raises(ValueError, match="warmup=1.5"):
        OneCycle(peak=0.1, total_steps=10, warmup=1.5)


def test_one_cycle_sets_the_optimizer_rate_every_step():
    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    schedule = OneCycle(peak=0.2, total_steps=4, warmup=0.5)
    from convlens.callbacks import Callback

    class Spy(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(self.model.optimizer.learning_rate)

    x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[schedule, Spy()])
    assert seen == pytest.approx([0.1, 0.2, 0.2 * 2 / 3, 0.2 / 3])


def test_recipe_overrides_run_settings():
    config = apply_recipe(RunConfig(recipe="fast", epochs=9, batch_size=7))
    fast = RECIPES["fast"]
    assert (config.model, config.epochs, config.batch_size, config.lr) == (fast.model, fast.epochs, fast.batch_size,
                                                                           fast.peak_lr)
    assert config.validation_split == 0.0
    with pytest.raises(ValueError, match="--recipe: received 'slow'"):
        apply_recipe(RunConfig(recipe="slow"))


def test_a_recipe_passes_its_model_and_optimizer_options(monkeypatch, tmp_path):
    import dataclasses

    from convlens import recipes, runs

    narrow = dataclasses.replace(RECIPES["fast"], model_options={"filters": (4, 8, 8)},
                                 optimizer_options={"beta_2": 0.99})
    monkeypatch.setitem(recipes.RECIPES, "narrow", narrow)
    seen = {}
    fit = Sequential.fit

    def spy(model, *args, **kwargs):
        seen["filters"] = [layer.filters for layer in model.layers if hasattr(layer, "filters")]
        seen["beta_2"] = model.optimizer.beta_2
        kwargs["steps_per_epoch"] = 2  # the options are what is checked, not the training
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(Sequential, "fit", spy)
    runs.train(RunConfig(recipe="narrow", sample=True, pictures=False, out=str(tmp_path / "run")), verbose=0)
    assert seen == {"filters": [4, 8, 8], "beta_2": 0.99}


def test_the_default_run_trains_under_one_cycle_peaking_at_six_times_keras_default():
    from convlens import training
    from convlens.runs import _schedule

    config = RunConfig()
    data = {"x_train": np.zeros((60000, 28, 28, 1), np.uint8)}
    schedule = _schedule(config, None, data, training.optimizers.get("adam"))
    assert isinstance(schedule, OneCycle)
    assert schedule.peak == pytest.approx(0.006)  # Adam's Keras default 0.001, times 6
    assert schedule.total == -(-54000 // config.batch_size) * config.epochs  # 10 % held out for validation
    assert _schedule(RunConfig(lr=0.01), None, data, training.optimizers.get("adam")).peak == 0.01
    assert _schedule(RunConfig(schedule="constant"), None, data, training.optimizers.get("adam")) is None
    recipe = _schedule(apply_recipe(RunConfig(recipe="fast")), RECIPES["fast"], data, training.optimizers.get("adam"))
    assert recipe.peak == RECIPES["fast"].peak_lr


def test_runs_recorded_before_schedules_keep_their_constant_rate_and_bad_names_are_refused(tmp_path):
    from convlens.runs import train

    assert RunConfig.from_dict({"batch_size": 16}).schedule == "constant"
    assert RunConfig.from_dict({"schedule": "one-cycle"}).schedule == "one-cycle"
    with pytest.raises(ValueError, match="--schedule: received 'cosine'; allowed are one-cycle, constant"):
        train(RunConfig(schedule="cosine", sample=True, pictures=False, out=str(tmp_path / "run")), verbose=0)
    assert not (tmp_path / "run").exists()


def test_a_default_run_sets_the_rate_of_every_step(monkeypatch, tmp_path):
    from convlens import runs
    from convlens.callbacks import Callback

    seen = []

    class Spy(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(self.model.optimizer.learning_rate)

    fit = Sequential.fit

    def spy(model, *args, **kwargs):
        kwargs["callbacks"] = [*kwargs["callbacks"], Spy()]
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(Sequential, "fit", spy)
    runs.train(RunConfig(sample=True, epochs=1, batch_size=256, pictures=False, device="cpu",
                         out=str(tmp_path / "run")), verbose=0, log=lambda _: None)
    steps = len(seen)
    expected = OneCycle(0.006, steps, 0.2)
    assert steps > 2 and seen == pytest.approx([expected.rate(s) for s in range(steps)])


def test_a_recipe_with_a_whitened_stem_sets_it_from_the_training_images(monkeypatch, tmp_path):
    import dataclasses

    from convlens import recipes, runs
    from convlens.training.whitening import patch_whitening_kernel

    stemmed = dataclasses.replace(RECIPES["fast-cpu"], model_options={"filters": (4, 8, 8), "stem": "fixed"},
                                  whiten_stem=True)
    monkeypatch.setitem(recipes.RECIPES, "stemmed", stemmed)
    seen = {}
    fit = Sequential.fit

    def spy(model, x, *args, **kwargs):
        seen["stem"] = model.get_layer("stem").get_weights()[0]
        seen["expected"] = patch_whitening_kernel(x[:1000], 4)
        kwargs["steps_per_epoch"] = 2
        return fit(model, x, *args, **kwargs)

    monkeypatch.setattr(Sequential, "fit", spy)
    runs.train(RunConfig(recipe="stemmed", sample=True, pictures=False, out=str(tmp_path / "run")), verbose=0)
    np.testing.assert_array_equal(seen["stem"], seen["expected"])


def test_bfloat16_recipes_train_in_bfloat16_only_where_the_cpu_has_it(monkeypatch):
    import dataclasses

    import torch

    from convlens import recipes

    recipe = dataclasses.replace(RECIPES["fast-cpu"], training_precision="bfloat16")
    monkeypatch.setattr(recipes, "native_bfloat16", lambda: True)
    assert recipe.precision("cpu") == "bfloat16"
    with recipe.autocast("cpu"):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    assert recipe.precision("meta") == "float32"  # only the CPU path is tuned
    monkeypatch.setattr(recipes, "native_bfloat16", lambda: False)  # emulated bfloat16 is slower: float32
    assert recipe.precision("cpu") == "float32"
    with recipe.autocast("cpu"):
        assert not torch.is_autocast_enabled("cpu")
    assert RECIPES["fast"].precision("cpu") == "float32"


def test_a_bfloat16_recipe_updates_the_bfloat16_copies_every_step_and_tests_in_float32(monkeypatch, tmp_path):
    """Around a whole fit, autocast's cast cache would keep the first step's copies of the weights (no learning)."""
    import dataclasses

    import torch

    from convlens import recipes, runs

    monkeypatch.setattr(recipes, "native_bfloat16", lambda: True)
    tiny = dataclasses.replace(RECIPES["fast-cpu"], model_options={"filters": (4, 8, 8), "stem": "fixed"},
                               batch_size=64, peak_lr=0.02)
    monkeypatch.setitem(recipes.RECIPES, "tiny", tiny)
    seen = {"train": set(), "test": set()}
    evaluate = Sequential.evaluate
    step = Sequential._train_step

    def spy_step(model, x, y, sample_weight=None):
        seen["train"].add(torch.is_autocast_enabled("cpu"))
        return step(model, x, y, sample_weight)

    def spy_evaluate(model, *args, **kwargs):
        seen["test"].add(torch.is_autocast_enabled("cpu"))
        return evaluate(model, *args, **kwargs)

    monkeypatch.setattr(Sequential, "_train_step", spy_step)
    monkeypatch.setattr(Sequential, "evaluate", spy_evaluate)
    result = runs.train(RunConfig(recipe="tiny", sample=True, pictures=False, out=str(tmp_path / "run")), verbose=0)
    assert seen == {"train": {True}, "test": {False}}
    # 6,000 sample images, 94 steps: a network that learns, which stale bfloat16 weights never did (about 10 %)
    assert result.test_accuracy > 0.6


def test_a_shortened_epoch_counts_its_steps_from_the_fraction():
    import dataclasses

    recipe = dataclasses.replace(RECIPES["fast"], batch_size=256, epoch_fraction=0.85)
    assert recipe.steps_per_epoch(60000) == 200  # ceil(0.85 * 60000 / 256)
    assert dataclasses.replace(recipe, epoch_fraction=1.0).steps_per_epoch(60000) is None
    assert dataclasses.replace(recipe, epoch_fraction=1e-9).steps_per_epoch(60000) == 1


def test_a_smoothing_recipe_fits_one_hot_labels_with_keras_smoothed_loss_over_its_shortened_epoch(monkeypatch,
                                                                                                   tmp_path):
    import dataclasses
    import json

    from convlens import recipes, runs
    from convlens.training.losses import CategoricalCrossentropy

    tiny = dataclasses.replace(RECIPES["fast-cpu"], model_options={"filters": (4, 8, 8), "stem": "fixed"},
                               batch_size=100, label_smoothing=0.1, epoch_fraction=0.5)
    monkeypatch.setitem(recipes.RECIPES, "tiny", tiny)
    seen = {"rates": []}
    fit, evaluate = Sequential.fit, Sequential.evaluate

    def spy_fit(model, x, y, *args, **kwargs):
        seen.update(loss=model.loss, y=np.asarray(y), steps=kwargs.get("steps_per_epoch"))
        from convlens.callbacks import Callback

        class Rates(Callback):
            def on_train_batch_begin(self, batch, logs=None):
                seen["rates"].append(self.model.optimizer.learning_rate)

        kwargs["callbacks"] = [*kwargs["callbacks"], Rates()]
        return fit(model, x, y, *args, **kwargs)

    def spy_evaluate(model, x, y, *args, **kwargs):
        seen["y_test"] = np.asarray(y)
        return evaluate(model, x, y, *args, **kwargs)

    monkeypatch.setattr(Sequential, "fit", spy_fit)
    monkeypatch.setattr(Sequential, "evaluate", spy_evaluate)
    result = runs.train(RunConfig(recipe="tiny", sample=True, pictures=False, out=str(tmp_path / "run")), verbose=0)
    assert isinstance(seen["loss"], CategoricalCrossentropy) and seen["loss"].get_config()["label_smoothing"] == 0.1
    assert seen["y"].shape == (6000, 10) and seen["y_test"].shape[1:] == (10,)
    np.testing.assert_array_equal(seen["y"].sum(axis=1), 1.0)
    assert seen["steps"] == 30  # half of the 6,000 sample images in batches of 100
    # the one-cycle schedule spans the shortened epoch: 30 rates, rising over 6 steps, ending near 0
    assert len(seen["rates"]) == 30 and max(seen["rates"]) == pytest.approx(tiny.peak_lr)
    assert seen["rates"][-1] == pytest.approx(tiny.peak_lr / 25)
    assert result.test_accuracy > 0.5
    recorded = json.loads((tmp_path / "run" / "run.json").read_text())["results"]
    assert recorded["training_precision"] == tiny.precision("cpu")


def test_a_recipe_that_needs_in_memory_images_refuses_a_folder(tmp_path):
    from PIL import Image

    from convlens import runs

    for name in ("a", "b"):
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(3):
            Image.new("L", (8, 8), 40 * i).save(tmp_path / "images" / name / f"{i}.png")
    with pytest.raises(ValueError, match="fast-cpu: whitens its first layer .* and smooths one-hot labels, which "
                                         "needs in-memory images; use --data"):
        runs.train(RunConfig(recipe="fast-cpu", data=str(tmp_path / "images"), image_size=(8, 8), pictures=False,
                             out=str(tmp_path / "run")), verbose=0)
    assert not (tmp_path / "run").exists()
