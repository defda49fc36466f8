"""Learning-rate schedules against ``keras.optimizers.schedules``, alone and driving an optimizer (host and device scalars)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from convlens.training import optimizers, schedules

CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5, staircase=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.2, decay_steps=2, decay_rate=0.7)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.2, decay_steps=2, decay_rate=0.7, staircase=True)),
    ("PiecewiseConstantDecay", dict(boundaries=[2, 5], values=[0.1, 0.05, 0.01])),
    ("PiecewiseConstantDecay", dict(boundaries=[3], values=[1.0, 0.5])),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=6)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=6, alpha=0.2)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=5, warmup_target=0.3, warmup_steps=4)),
    ("CosineDecay", dict(initial_learning_rate=0.05, decay_steps=5, alpha=0.1, warmup_target=0.2, warmup_steps=3)),
]
STEPS = range(14)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_values_per_step_match_keras(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    expected = [float(keras.ops.convert_to_numpy(theirs(step))) for step in STEPS]
    np.testing.assert_allclose([float(ours(step)) for step in STEPS], expected, rtol=1e-6, atol=1e-9)
    # A float32 step tensor, as the optimizer's device scalar, gives the same values.
    np.testing.assert_allclose([float(ours(torch.tensor(float(s)))) for s in STEPS], expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_configs_round_trip_with_keras(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert keras.optimizers.schedules.deserialize(schedules.serialize(ours)).get_config() == theirs.get_config()
    assert schedules.deserialize(keras.optimizers.schedules.serialize(theirs)).get_config() == ours.get_config()


def _keras_weights(schedule_kwargs, name, optimizer, steps):
    w = keras.Variable(np.array([1.0, -2.0, 3.0], np.float32))
    opt = getattr(keras.optimizers, optimizer)(
        learning_rate=getattr(keras.optimizers.schedules, name)(**schedule_kwargs))
    for t in range(steps):
        opt.apply_gradients([(keras.ops.convert_to_tensor(np.array([0.5, -1.0, 0.25 * t], np.float32)), w)])
    return keras.ops.convert_to_numpy(w)


@pytest.mark.parametrize("device_scalars", [False, True])
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kwargs", [CASES[0], CASES[4], CASES[9]])
def test_an_optimizer_follows_the_schedule_as_keras(name, kwargs, optimizer, device_scalars):
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    opt = getattr(optimizers, optimizer)(learning_rate=getattr(schedules, name)(**kwargs)).build([w])
    opt.use_device_scalars(device_scalars)
    for t in range(8):
        w.grad = torch.tensor([0.5, -1.0, 0.25 * t])
        opt.step()
    # Host-scalar Adam differs from Keras by ~1e-5 after 8 steps even at a constant rate (its host arithmetic
    # is float64, Keras's float32); the device-scalar path agrees to ~1e-7.
    tolerance = 3e-5 if optimizer == "Adam" and not device_scalars else 1e-6
    np.testing.assert_allclose(w.detach().numpy(), _keras_weights(kwargs, name, optimizer, 8), rtol=tolerance,
                               atol=tolerance)
    assert opt.learning_rate == pytest.approx(float(getattr(schedules, name)(**kwargs)(8)))


def test_optimizer_config_carries_the_schedule_and_its_rate_is_not_settable():
    opt = optimizers.Adam(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    keras_opt = keras.optimizers.Adam.from_config(dict(config))  # Keras replaces the dict entry in place
    assert isinstance(keras_opt._learning_rate, keras.optimizers.schedules.CosineDecay)
    again = optimizers.Adam.from_config(keras.saving.serialize_keras_object(keras_opt)["config"])
    assert again.get_config()["learning_rate"] == config["learning_rate"]
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.5


@pytest.mark.parametrize("make,message", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps` must be > 0"),
    (lambda: schedules.CosineDecay(0.1, -1), "decay_steps` must be > 0"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1]), "should be 1 less than the length of values"),
])
def test_invalid_arguments_raise_in_keras_words(make, message):
    with pytest.raises(ValueError, match=message):
        make()
