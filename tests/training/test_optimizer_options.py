"""Optimizer options against Keras 3.15 (torch backend) on copied weights: EMA, weight-decay exclusion, ``variables``.

SGD's float32 arithmetic is Keras's to the bit. The Adam family differs in
rounding only (Keras's torch kernels compute ``m·β₁ + g·(1-β₁)`` and the bias
correction in float32; convlens a fused ``lerp`` and a float64 factor): about
1e-6 after five steps, where getting an option wrong moves weights by 1e-2.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlens.keras as ck
from convlens.training import optimizers

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
WEIGHTS = {"kernel": RNG.normal(size=(3, 2)).astype("float32"), "bias": RNG.normal(size=(2,)).astype("float32")}
GRADS = [{k: RNG.normal(size=v.shape).astype("float32") for k, v in WEIGHTS.items()} for _ in range(5)]


def keras_run(optimizer, exclude=None):
    variables = [keras.Variable(w, name=name) for name, w in WEIGHTS.items()]
    if exclude:
        optimizer.exclude_from_weight_decay(var_names=exclude)
    for grads in GRADS:
        optimizer.apply([keras.ops.convert_to_tensor(grads[name]) for name in WEIGHTS], variables)
    return [keras.ops.convert_to_numpy(v) for v in variables], [keras.ops.convert_to_numpy(v) for v in optimizer.variables]


def convlens_run(optimizer, exclude=None):
    params = [torch.nn.Parameter(torch.tensor(w)) for w in WEIGHTS.values()]
    optimizer.build(params)
    optimizer.variable_names = {id(p): name for p, name in zip(params, WEIGHTS)}
    if exclude:
        optimizer.exclude_from_weight_decay(var_names=exclude)
    for grads in GRADS:
        for p, name in zip(params, WEIGHTS):
            p.grad = torch.tensor(grads[name])
        optimizer.step()
    return [p.detach().numpy() for p in params], [v.detach().numpy() for v in optimizer.variables]


CASES = {
    "sgd ema": dict(cls="SGD", learning_rate=0.1, momentum=0.9, use_ema=True, ema_momentum=0.8),
    "adam ema overwrite": dict(cls="Adam", learning_rate=0.05, use_ema=True, ema_momentum=0.7, ema_overwrite_frequency=2),
    "adamw exclude bias": dict(cls="AdamW", learning_rate=0.05, weight_decay=0.3, exclude=["bias"]),
    "sgd decay exclude kernel": dict(cls="SGD", learning_rate=0.1, weight_decay=0.2, exclude=["ker"]),
    "rmsprop centered": dict(cls="RMSprop", learning_rate=0.01, momentum=0.5, centered=True, global_clipnorm=1.0),
    "adam amsgrad": dict(cls="Adam", learning_rate=0.01, amsgrad=True, clipvalue=0.5),
    "adagrad clipnorm": dict(cls="Adagrad", learning_rate=0.1, clipnorm=0.3),
    "nadam": dict(cls="Nadam", learning_rate=0.01),
    "sgd accumulate 2": dict(cls="SGD", learning_rate=0.1, momentum=0.9, gradient_accumulation_steps=2),
    "adam accumulate 2 ema": dict(cls="Adam", learning_rate=0.05, gradient_accumulation_steps=2, use_ema=True,
                                  ema_momentum=0.6, weight_decay=0.1),
    "nadam accumulate 3": dict(cls="Nadam", learning_rate=0.05, gradient_accumulation_steps=3, clipnorm=0.5),
}


@pytest.mark.parametrize("case", list(CASES))
def test_weights_and_variables_match_keras_after_five_steps(case):
    options = dict(CASES[case])
    cls, exclude = options.pop("cls"), options.pop("exclude", None)
    k_weights, k_variables = keras_run(getattr(keras.optimizers, cls)(**options), exclude)
    c_weights, c_variables = convlens_run(getattr(optimizers, cls)(**options), exclude)
    atol = 1e-7 if cls == "SGD" else 3e-6
    for a, b in zip(c_weights, k_weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=atol)
    assert [v.shape for v in c_variables] == [v.shape for v in k_variables]
    for a, b in zip(c_variables, k_variables):  # the learning rate: Keras holds it in float32
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=atol)


def test_variables_before_any_step_and_with_a_schedule():
    schedule = dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)
    ours = optimizers.Adam(learning_rate=ck.optimizers.schedules.ExponentialDecay(**schedule))
    theirs = keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.ExponentialDecay(**schedule))
    assert len(ours.variables) == len(theirs.variables) == 1  # the iteration count only
    weight = torch.nn.Parameter(torch.ones(3))
    ours.build([weight])
    theirs.build([keras.Variable(np.ones(3, "float32"))])
    assert [tuple(v.shape) for v in ours.variables] == [tuple(v.shape) for v in theirs.variables]


@pytest.mark.parametrize("options", [dict(use_ema=True, ema_momentum=0.9),
                                     dict(gradient_accumulation_steps=3, momentum=0.5)])
def test_fit_with_ema_or_accumulation_as_keras(options):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    # The constraint shows Keras's order: the average is taken of the weights before their constraint.
    models = [lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="tanh", kernel_constraint="non_neg"),
                              lib.layers.Dense(2)]) for lib in (keras, ck)]
    models[1].set_weights(models[0].get_weights())
    for model, lib in zip(models, (keras, ck)):
        model.compile(optimizer=lib.optimizers.SGD(0.1, **options), loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert int(models[1].optimizer.iterations) == int(keras.ops.convert_to_numpy(models[0].optimizer.iterations))
    for a, b in zip(models[1].get_weights(), models[0].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_config_round_trips_with_keras():
    ours = optimizers.Adam(learning_rate=0.01, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3)
    theirs = keras.optimizers.Adam.from_config(ours.get_config())
    # Keras holds the learning rate in a float32 variable and writes it back so (0.009999999776482582).
    assert theirs.get_config() == {**ours.get_config(), "name": theirs.name, "learning_rate": pytest.approx(0.01)}
    assert optimizers.Adam.from_config(theirs.get_config()).ema_overwrite_frequency == 3


def test_invalid_options_raise_as_keras():
    with pytest.raises(ValueError, match="`ema_momentum` must be in the range"):
        optimizers.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="`ema_overwrite_frequency` must be an integer >= 1"):
        optimizers.SGD(use_ema=True, ema_overwrite_frequency=0.5)
    with pytest.raises(ValueError, match="`gradient_accumulation_steps` must be an integer >= 2"):
        optimizers.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="loss_scale_factor"):
        optimizers.SGD(loss_scale_factor=128.0)
    opt = optimizers.SGD(use_ema=True).build([torch.nn.Parameter(torch.ones(1))])
    with pytest.raises(ValueError, match="The length of model variables"):
        opt.finalize_variable_values([])
