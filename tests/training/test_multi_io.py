"""fit/evaluate/train_on_batch of a two-input, two-output functional model, against real Keras 3 (torch backend).

The same graph is built in convlens and in Keras, Keras's initial weights
are copied over, and both train with SGD on the same batches: history keys
must be identical and every value equal to ~1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

import convlens
from convlens import layers
from convlens.datasets.pipeline import Dataset

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(7)
N = 24
XA = RNG.normal(0, 1, (N, 6, 6, 1)).astype(np.float32)  # an image input
XB = RNG.normal(0, 1, (N, 4)).astype(np.float32)  # a feature vector
Y_CLS = RNG.integers(0, 3, N)
Y_HOT = np.eye(3, dtype=np.float32)[Y_CLS]
Y_REG = RNG.normal(0, 1, (N, 2)).astype(np.float32)
SW_CLS = RNG.uniform(0.2, 2.0, N).astype(np.float32)
SW_REG = RNG.uniform(0.2, 2.0, N).astype(np.float32)
VAL = slice(0, 10)


def graph(lib):
    """Conv branch on ``a`` and a dense branch on ``b``, merged; outputs ``cls`` (softmax) and ``reg`` (linear)."""
    L = lib.layers
    a, b = lib.Input((6, 6, 1), name="a"), lib.Input((4,), name="b")
    ha = L.GlobalAveragePooling2D(name="gap")(L.Conv2D(4, 3, activation="relu", name="conv")(a))
    hb = L.Dense(4, activation="relu", name="dense_b")(b)
    h = L.Concatenate(name="cat")([ha, hb])
    return lib.Model([a, b], [L.Dense(3, activation="softmax", name="cls")(h), L.Dense(2, name="reg")(h)])


def twins(**compile_args):
    """The graph in Keras and in convlens with Keras's initial weights, compiled alike with SGD(0.1)."""
    keras.utils.set_random_seed(1)
    ref = graph(keras)
    ours = graph(convlens)
    ours.set_weights([w.copy() for w in ref.get_weights()])
    ref.compile(optimizer=keras.optimizers.SGD(0.1), **compile_args)
    ours.compile(optimizer=convlens.optimizers.SGD(0.1), **compile_args)
    return ours, ref


def assert_same(got, expected):
    """Equal logs: the same keys (or list length) and values to ~1e-5."""
    if isinstance(expected, dict):
        assert sorted(got) == sorted(expected)
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def assert_same_weights(ours, ref):
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


SPARSE = {"loss": ["sparse_categorical_crossentropy", "mse"]}
CASES = {
    "lists": (dict(SPARSE, metrics=[["accuracy"], ["mae", "mse"]], loss_weights=[0.5, 2.0]), [Y_CLS, Y_REG]),
    "dicts": (dict(loss={"reg": "mae", "cls": "sparse_categorical_crossentropy"}, metrics={"cls": "accuracy"},
                   loss_weights={"reg": 3.0, "cls": 0.25}), {"cls": Y_CLS, "reg": Y_REG}),
    "one_loss": (dict(loss="mse", loss_weights=0.5, metrics=[None, ["mae", "mae"]]), [Y_HOT, Y_REG]),
    "weighted": (dict(SPARSE, metrics=[["accuracy"], ["mae"]], weighted_metrics=[["accuracy"], ["mae"]]),
                 [Y_CLS, Y_REG]),
    "one_output_loss": (dict(loss=["sparse_categorical_crossentropy", None], metrics=[None, ["mae"]]), [Y_CLS, Y_REG]),
    # Keras pairs a dict of weights with a list of losses by the dict's sorted keys (here they are sorted).
    "list_loss_dict_weights": (dict(SPARSE, loss_weights={"cls": 2.0, "reg": 0.5}), (Y_CLS, Y_REG)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_and_evaluate_match_keras(case):
    compile_args, y = CASES[case]
    ours, ref = twins(**compile_args)
    x = {"a": XA, "b": XB} if case == "dicts" else [XA, XB]
    val_y = {k: v[VAL] for k, v in y.items()} if isinstance(y, dict) else [v[VAL] for v in y]
    weights = [SW_CLS, SW_REG] if case == "weighted" else None
    common = dict(batch_size=8, epochs=2, shuffle=False, verbose=0, sample_weight=weights,
                  validation_data=([XA[VAL], XB[VAL]], val_y))
    h_ours, h_ref = ours.fit(x, y, **common), ref.fit(x, y, **common)
    assert_same(h_ours.history, h_ref.history)
    assert_same_weights(ours, ref)
    for return_dict in (False, True):
        assert_same(ours.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=return_dict),
                    ref.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=return_dict))


def test_history_keys_are_keras_names():
    ours, _ = twins(**CASES["lists"][0])
    history = ours.fit([XA, XB], [Y_CLS, Y_REG], epochs=1, verbose=0, validation_split=0.25).history
    assert sorted(history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae", "reg_mse", "val_cls_accuracy",
                               "val_cls_loss", "val_loss", "val_reg_loss", "val_reg_mae", "val_reg_mse"]
    assert ours.metrics_names == ["loss", "accuracy", "mae", "mse", "cls_loss", "reg_loss"]


@pytest.mark.parametrize("sample_weight", ["one_array", "per_output"])
def test_sample_weights_match_keras(sample_weight):
    ours, ref = twins(**SPARSE, weighted_metrics=[["accuracy"], ["mae"]])
    weights = SW_CLS if sample_weight == "one_array" else [SW_CLS, SW_REG]
    common = dict(batch_size=8, epochs=2, shuffle=False, verbose=0, sample_weight=weights)
    assert_same(ours.fit([XA, XB], [Y_CLS, Y_REG], **common).history, ref.fit([XA, XB], [Y_CLS, Y_REG], **common).history)
    assert_same_weights(ours, ref)


def test_sample_weight_dict_by_output_name_equals_the_list():
    ours, _ = twins(**SPARSE)
    by_name = ours.evaluate([XA, XB], [Y_CLS, Y_REG], sample_weight={"reg": SW_REG, "cls": SW_CLS}, verbose=0)
    assert by_name == ours.evaluate([XA, XB], [Y_CLS, Y_REG], sample_weight=[SW_CLS, SW_REG], verbose=0)


def test_train_and_test_on_batch_match_keras():
    ours, ref = twins(**CASES["lists"][0])
    for start in (0, 8):
        batch = slice(start, start + 8)
        args = ([XA[batch], XB[batch]], [Y_CLS[batch], Y_REG[batch]])
        assert_same(ours.train_on_batch(*args), ref.train_on_batch(*args))
        assert_same(ours.train_on_batch(*args, return_dict=True), ref.train_on_batch(*args, return_dict=True))
    weights = [SW_CLS[:8], SW_REG[:8]]
    assert_same(ours.test_on_batch({"a": XA[:8], "b": XB[:8]}, {"cls": Y_CLS[:8], "reg": Y_REG[:8]},
                                   sample_weight=weights, return_dict=True),
                ref.test_on_batch([XA[:8], XB[:8]], [Y_CLS[:8], Y_REG[:8]], sample_weight=weights, return_dict=True))
    assert_same_weights(ours, ref)


@pytest.mark.parametrize("structure", ["tuples", "dicts", "weighted"])
def test_datasets_of_structured_batches_train_as_keras_arrays(structure):
    ours, ref = twins(**CASES["lists"][0])
    if structure == "dicts":
        elements = ({"a": XA, "b": XB}, {"cls": Y_CLS, "reg": Y_REG})
    elif structure == "weighted":
        elements = ((XA, XB), (Y_CLS, Y_REG), (SW_CLS, SW_REG))
    else:
        elements = ((XA, XB), (Y_CLS, Y_REG))
    weights = [SW_CLS, SW_REG] if structure == "weighted" else None
    dataset = Dataset.from_tensor_slices(elements).batch(8)
    h_ours = ours.fit(dataset, epochs=2, verbose=0, validation_data=dataset.take(1))
    h_ref = ref.fit([XA, XB], [Y_CLS, Y_REG], sample_weight=weights, batch_size=8, epochs=2, shuffle=False, verbose=0,
                    validation_data=([XA[:8], XB[:8]], [Y_CLS[:8], Y_REG[:8]]) + ([weights[0][:8], weights[1][:8]],)
                    if weights else ([XA[:8], XB[:8]], [Y_CLS[:8], Y_REG[:8]]))
    assert_same(h_ours.history, h_ref.history)
    assert_same(ours.evaluate(dataset, verbose=0), ref.evaluate([XA, XB], [Y_CLS, Y_REG], sample_weight=weights,
                                                                 batch_size=8, verbose=0))


def test_predict_takes_lists_and_dicts_and_returns_a_list():
    ours, ref = twins(**SPARSE)
    expected = ref.predict([XA, XB], verbose=0)
    for x in ([XA, XB], {"b": XB, "a": XA}):
        got = ours.predict(x, batch_size=5, verbose=0)
        assert isinstance(got, list) and len(got) == 2
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict_on_batch([XA[:3], XB[:3]])[1], expected[1][:3], rtol=1e-5, atol=1e-6)


def test_one_output_model_takes_keras_structures_and_keeps_the_fast_step():
    def one(lib):
        x = lib.Input((4,), name="x")
        return lib.Model(x, lib.layers.Dense(2, name="out")(x))

    for args, fast in ((dict(loss={"out": "mse"}, metrics={"out": ["mae"]}), True),
                       (dict(loss="mse", loss_weights=2.0), False), (dict(loss=["mse"], loss_weights={"out": 3.0}), False)):
        keras.utils.set_random_seed(2)
        ref, ours = one(keras), one(convlens)  # new models: Keras keeps a former compile's metrics when given none
        ours.set_weights(ref.get_weights())
        ref.compile(optimizer="sgd", **args)
        ours.compile(optimizer="sgd", **args)
        assert ours._general is not fast
        for x, y in ((XB, Y_REG), ([XB], [Y_REG]), ({"x": XB}, {"out": Y_REG})):
            assert_same(ours.evaluate(x, y, verbose=0, return_dict=True), ref.evaluate(XB, Y_REG, verbose=0, return_dict=True))


def test_bad_structures_raise_keras_errors():
    ours, ref = twins(**SPARSE)

    def both(pattern, call):
        for model in (ours, ref):
            with pytest.raises((ValueError, KeyError), match=pattern):
                call(model)

    # Keras 3.15 names nothing useful for an unknown target key ("Invalid dtype: str96"): convlens names the keys.
    with pytest.raises(ValueError, match=r'Missing data for output "reg".*keys \[\'cls\', \'oops\'\].*\[\'cls\', \'reg\'\]'):
        ours.fit([XA, XB], {"cls": Y_CLS, "oops": Y_REG}, verbose=0)
    with pytest.raises(ValueError, match=r"Unexpected keys \['oops'\]"):
        ours.evaluate([XA, XB], {"cls": Y_CLS, "reg": Y_REG, "oops": Y_REG}, verbose=0)
    both(r"y_true and y_pred have different structures.\ny_true: \['\*'\]\ny_pred: \['\*', '\*'\]",
         lambda m: m.fit([XA, XB], [Y_CLS], verbose=0))
    both(r"y_true and y_pred have different structures.\ny_true: \['\*', '\*', '\*'\]",
         lambda m: m.evaluate([XA, XB], [Y_CLS, Y_REG, Y_REG], verbose=0))
    both(r'Missing data for input "b". You passed a data dictionary with keys \[\'a\', \'c\'\]',
         lambda m: m.fit({"a": XA, "c": XB}, [Y_CLS, Y_REG], verbose=0))
    both(r"expects 2 named input\(s\) with keys \['a', 'b'\], but it received 1 input tensors",
         lambda m: m.fit([XA], [Y_CLS, Y_REG], verbose=0))
    both(r"`class_weight` is only supported for Models with a single output.",
         lambda m: m.fit([XA, XB], [Y_CLS, Y_REG], class_weight={0: 1.0}, verbose=0))
    both(r"You should provide one `sample_weight` array per output in `y`",
         lambda m: m.fit([XA, XB], [Y_CLS, Y_REG], sample_weight=[SW_CLS, SW_REG, SW_REG], verbose=0))


@pytest.mark.parametrize("args, pattern", [
    (dict(loss={"cls": "mse", "oops": "mse"}), r"Expected keys \['cls', 'reg'\] in loss dict, but found "
                                               r"loss.keys\(\)=\['cls', 'oops'\]"),
    (dict(loss={"cls": "mse"}), r"Expected keys \['cls', 'reg'\] in loss dict"),
    (dict(loss=["mse"] * 3), r"The path: \(2,\) in the `loss` argument, can't be found"),
    (dict(loss="mse", loss_weights=[1.0, 2.0]), r"`loss_weights` must match the number of losses, got 1 losses and 2"),
    (dict(loss=["mse", "mse"], loss_weights=[1.0]), r"got 2 losses and 1 weights"),
    (dict(loss="mse", loss_weights=2), r"Expected `loss_weights` argument to be a float .* Received instead: "
                                       r"loss_weights=2 of type <class 'int'>"),
    (dict(loss="mse", metrics=["mae"]), r"Invalid `metrics`. `metrics` should contain metrics objects and either be a "
                                        r"dict or a list matching the output names of the functional model "
                                        r"\['cls', 'reg'\] or match the output structure of the model: \['X', 'X'\]"),
    (dict(loss="mse", metrics={"oops": "mae"}), r"(?s)Invalid `metrics`.*Received: metrics=\{'oops': 'mae'\}"),
    (dict(loss="mse", metrics="mae"), r"Expected `metrics` argument to be a list, tuple, or dict. Received instead: "
                                      r"metrics=mae of type <class 'str'>"),
])
def test_bad_compile_structures_raise_keras_errors(args, pattern):
    """The same message as Keras (which raises some of them only at the first batch)."""
    ours, ref = twins(**SPARSE)
    with pytest.raises((ValueError, KeyError), match=pattern):
        ref.compile(optimizer="sgd", **args)
        ref.fit([XA, XB], [Y_CLS, Y_REG], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=pattern):
        ours.compile(optimizer="sgd", **args)


def test_a_saved_multi_output_model_loads_compiled_as_keras_wrote_it(tmp_path):
    """Keras's archive of a compiled two-output model: its serialized losses and metrics compile convlens's copy."""
    _, ref = twins(loss={"cls": keras.losses.SparseCategoricalCrossentropy(), "reg": keras.losses.MeanSquaredError()},
                   metrics={"cls": [keras.metrics.SparseCategoricalAccuracy(name="acc")]}, loss_weights={"cls": 1.0, "reg": 0.5})
    ref.fit([XA, XB], [Y_CLS, Y_REG], epochs=1, verbose=0)
    ref.save(tmp_path / "two.keras")
    ours = convlens.models.load_model(tmp_path / "two.keras")
    assert_same(ours.evaluate([XA, XB], [Y_CLS, Y_REG], verbose=0, return_dict=True),
                ref.evaluate([XA, XB], [Y_CLS, Y_REG], verbose=0, return_dict=True))
