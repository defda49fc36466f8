"""The explained summary: every number in every formula against the real model.

References: the printed arithmetic is evaluated by an independent parser and
compared with ``compute_output_shape`` / ``count_params``; receptive fields
with the support of an input gradient; multiply-adds with PyTorch's
``FlopCounterMode``; padding with TensorFlow's rule worked by hand.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from convlens import Sequential, layers, zoo
from convlens.lens import explain_rows, format_explained_summary
from convlens.models.summary import format_summary


def evaluate(expression: str) -> Fraction:
    """The value of a formula as printed (``·`` × , ``−`` −, ``⌊⌋`` floor, ``⌈⌉`` ceiling), in exact arithmetic."""
    python = (expression.replace("·", "*").replace("−", "-").replace("⌊", "floor(").replace("⌋", ")")
              .replace("⌈", "ceil(").replace("⌉", ")"))
    assert re.fullmatch(r"[\d\s+\-*/()a-z,]*", python), expression
    python = re.sub(r"\d+", lambda m: f"F({m.group()})", python)
    return eval(python, {"__builtins__": {}}, {"F": Fraction, "floor": math.floor, "ceil": math.ceil, "max": max})


def check_formula(formula) -> None:
    """The expression evaluates to the value, and the text ends with that value."""
    assert evaluate(formula.expression) == formula.value, formula
    shown = formula.text.split(" = ")[-1].split(" (")[0].replace(",", "")
    assert Fraction(shown) == formula.value, formula.text


AXES = {"length": 1, "depth": 1, "height": -3, "width": -2, "units": -1, "channels": -1}


def check_model(model) -> None:
    """Every output and parameter formula of every layer equals the real shape and count."""
    rows = explain_rows(model)
    assert [r.name for r in rows] == [layer.name for layer in model.layers]
    for row, layer, shape in zip(rows, model.layers, model.layer_output_shapes):
        assert row.output_shape == tuple(shape)
        assert row.params == layer.count_params()
        for formula in row.output_formulas:
            check_formula(formula)
            axis = AXES[formula.quantity]
            if formula.quantity == "depth" and len(shape) == 4:
                raise AssertionError("a depth formula on a 2D layer")
            if formula.quantity in ("height", "width") and len(shape) == 5:
                axis = {"height": 2, "width": 3}[formula.quantity]
            assert formula.value == shape[axis], (layer.name, formula)
        if row.params_formula is None:
            assert layer.count_params() == 0, layer.name
        else:
            check_formula(row.params_formula)
            assert row.params_formula.value == layer.count_params(), (layer.name, row.params_formula)
        for formula in (*row.padding_formulas, row.mult_adds_formula, row.comparisons_formula,
                        row.activation_formula, *row.receptive_field.formulas):
            if formula is not None:
                check_formula(formula)
        if row.activation_formula is not None:
            assert row.activation_bytes == 4 * math.prod(shape[1:])


# The VGGs are checked below: VGG16 whole (one shared build), VGG19 without its top.
VGGS = ("vgg16", "vgg19")


@pytest.mark.parametrize("name", [name for name in zoo.list() if name not in VGGS])
def test_formulas_match_shapes_and_params_of_zoo_models(name):
    check_model(zoo.create(name))


def test_the_vggs_are_registered():
    assert set(VGGS) <= set(zoo.list())


def test_formulas_match_vgg16_with_top(vgg16):
    check_model(vgg16)
    assert sum(r.params for r in explain_rows(vgg16)) == 138_357_544


def test_formulas_match_vgg19_without_top():
    # The convolutional part is VGG19's own; the top is VGG16's Dense arithmetic, checked above.
    check_model(zoo.create("vgg19", include_top=False, input_shape=(224, 224, 3), pooling="avg"))


def test_every_layer_kind_has_checked_formulas():
    model = Sequential([
        layers.Input((19, 32, 3)),
        layers.Conv2D(4, 3, strides=2, padding="same"),
        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        layers.SeparableConv2D(6, 3),
        layers.BatchNormalization(),
        layers.Conv2D(4, (3, 2), dilation_rate=2, groups=2),
        layers.ZeroPadding2D(((1, 0), (2, 1))),
        layers.Cropping2D(((0, 1), (1, 0))),
        layers.UpSampling2D(2),
        layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
        layers.Conv2DTranspose(3, 3, strides=2, output_padding=1),
        layers.AveragePooling2D(3, strides=2, padding="same"),
        layers.GlobalMaxPooling2D(),
        layers.Dense(2, activation="sigmoid"),
    ])
    check_model(model)
    check_model(Sequential([layers.Input((20, 3)), layers.Conv1D(4, 3, padding="causal", dilation_rate=2),
                            layers.MaxPooling1D(2), layers.Conv1D(2, 3, strides=2, padding="same"),
                            layers.Flatten(), layers.Dense(3)]))
    check_model(Sequential([layers.Input((6, 8, 8, 1)), layers.Conv3D(4, 3), layers.MaxPooling3D(2, padding="same"),
                            layers.GlobalAveragePooling3D()]))


def test_formula_texts_read_like_the_notes(mnist_convnet):
    # Layers: rescaling, conv, pool, conv, pool, flatten, dropout, dense.
    rescale, conv, pool, _, _, flatten, _, dense = explain_rows(mnist_convnet)
    assert conv.output_formulas[0].text == "⌊(28 + 2·0 − 3)/1⌋ + 1 = 26"
    assert conv.params_formula.text == "3·3·1·32 + 32 = 320"
    assert pool.output_formulas[0].text == "⌊(26 + 2·0 − 2)/2⌋ + 1 = 13"
    assert dense.params_formula.text == "1600·10 + 10 = 16,010"
    assert flatten.output_formulas[0].text == "5·5·64 = 1,600"
    assert rescale.params_formula is None and rescale.mult_adds == 0
    same = explain_rows(Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3, padding="same"),
                                    layers.BatchNormalization()]))
    assert same[0].output_formulas[0].text == "⌈28/1⌉ = 28"
    assert same[0].padding == ((1, 1), (1, 1))
    assert same[1].params_formula.text == "4·8 = 32 (16 non-trainable)"


@pytest.mark.parametrize(("n", "k", "s", "d", "expected"), [
    (7, 3, 2, 1, (1, 1)),  # out 4: total max(3·2 + 3 − 7, 0) = 2
    (8, 3, 2, 1, (0, 1)),  # out 4: total 1, the odd pixel bottom/right
    (28, 3, 1, 1, (1, 1)),
    (10, 4, 1, 1, (1, 2)),  # total 3
    (9, 3, 1, 3, (3, 3)),  # dilated: span 7, total 6
    (5, 7, 3, 1, (2, 3)),  # out 2: total max(1·3 + 7 − 5, 0) = 5
])
def test_same_padding_follows_tensorflow(n, k, s, d, expected):
    model = Sequential([layers.Input((n, n, 1)), layers.Conv2D(1, k, strides=s, dilation_rate=d, padding="same")])
    row = explain_rows(model)[0]
    assert row.padding == (expected, expected)
    assert row.padding_formulas[0].value == sum(expected)
    check_formula(row.padding_formulas[0])


def receptive_size_by_gradient(model, size: int) -> tuple[int, int]:
    """Rows and columns of input pixels whose change reaches the centre output: the true receptive field."""
    for layer in model.layers:
        for w in layer.weights:
            torch.nn.init.constant_(w, 0.1)  # positive weights: no cancellation hides a dependency
    x = torch.rand(1, size, size, 1, requires_grad=True)
    y = model(x)
    y[0, y.shape[1] // 2, y.shape[2] // 2].sum().backward()
    rows, cols = np.nonzero(x.grad[0, :, :, 0].numpy())
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize(("stack", "expected"), [
    ([layers.Conv2D(1, 3), layers.Conv2D(1, 3)], 5),
    ([layers.Conv2D(1, 3), layers.AveragePooling2D(2), layers.Conv2D(1, 3)], 8),
    ([layers.Conv2D(1, 5, strides=2), layers.Conv2D(1, 3, dilation_rate=2)], 5 + 2 * 2 * 2),
    ([layers.Conv2D(1, 3), layers.AveragePooling2D(3, strides=2), layers.Conv2D(1, 3),
      layers.AveragePooling2D(2), layers.Conv2D(1, 3)], 19),  # r: 3, +2·1 = 5, +2·2 = 9, +1·4 = 11, +2·4 = 19
])
def test_receptive_field_by_hand_and_by_gradient(stack, expected):
    model = Sequential([layers.Input((64, 64, 1)), *stack])
    rf = explain_rows(model)[-1].receptive_field
    assert rf.size == (expected, expected)
    assert receptive_size_by_gradient(model, 64) == (expected, expected)


def test_vgg16_receptive_field_and_cost(vgg16):
    rows = {r.name: r for r in explain_rows(vgg16)}
    assert rows["block5_pool"].receptive_field.size == (212, 212)  # the published value
    assert rows["block5_pool"].receptive_field.jump == (32, 32)
    assert rows["fc1"].receptive_field.whole
    assert rows["block1_conv1"].mult_adds == 224 * 224 * 3 * 3 * 3 * 64


@pytest.mark.parametrize("builder", [
    lambda: zoo.create("mnist-convnet"),
    lambda: zoo.create("lenet5"),
    lambda: zoo.create("tinyvgg"),
    lambda: Sequential([layers.Input((19, 32, 3)), layers.Conv2D(4, 3, strides=2, padding="same"),
                        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), layers.SeparableConv2D(6, 3),
                        layers.Conv2D(4, (3, 2), dilation_rate=2, groups=2), layers.Conv2DTranspose(3, 3, strides=2),
                        layers.GlobalMaxPooling2D(), layers.Dense(2)]),
])
def test_mult_adds_match_pytorch_flop_counter(builder):
    model = builder()
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *model.input_shape[1:]))
    assert 2 * sum(r.mult_adds for r in explain_rows(model)) == counter.get_total_flops()


def test_hand_checked_costs(mnist_convnet):
    _, conv, pool, _, _, _, _, dense = explain_rows(mnist_convnet)
    assert conv.mult_adds == 26 * 26 * 3 * 3 * 1 * 32 == 194_688
    assert dense.mult_adds == 16_000
    assert pool.mult_adds == 0
    assert pool.comparisons == 13 * 13 * 32 * 3
    assert conv.activation_bytes == 26 * 26 * 32 * 4


def test_formatted_summary_is_the_table_then_the_formulas(mnist_convnet):
    text = format_explained_summary(mnist_convnet)
    assert text.startswith(format_summary(mnist_convnet))
    for expected in ("⌊(n + 2p − k)/s⌋ + 1 = ⌊(28 + 2·0 − 3)/1⌋ + 1 = 26", "3·3·1·32 + 32 = 320",
                     "1600·10 + 10 = 16,010", "26·26 · 3·3·1·32 = 194,688", "8×8 input pixels, jump 2"):
        assert expected in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_unbuilt_model_is_refused():
    with pytest.raises(ValueError, match="isn't built"):
        explain_rows(Sequential([layers.Dense(2)]))


def test_graph_models_follow_their_wiring():
    pytest.importorskip("convlens.models.functional")
    import convlens

    x = layers.Input((16, 16, 1))
    a = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    b = layers.Conv2D(4, 5, padding="same")(x)  # a second branch from the input, not from `a`
    pooled = layers.AveragePooling2D()(layers.Add()([a, b]))  # average: every pixel of the window has a gradient
    maps = convlens.Model(inputs=x, outputs=pooled)
    check_model(maps)
    check_model(convlens.Model(inputs=x, outputs=layers.Dense(3)(layers.Flatten()(pooled))))
    by_class = {row.class_name: row for row in explain_rows(maps)}
    assert by_class["InputLayer"].receptive_field.size == (1, 1)
    assert by_class["Add"].input_shape == ((None, 16, 16, 4), (None, 16, 16, 4))
    assert by_class["Add"].receptive_field.size == (5, 5)  # the wider branch
    assert by_class["AveragePooling2D"].receptive_field.size == (6, 6)
    assert receptive_size_by_gradient(maps, 16) == (6, 6)
