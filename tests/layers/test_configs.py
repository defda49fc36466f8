"""``get_config()`` as Keras 3.15 writes it, for every layer class convlens.keras.layers shares with Keras.

Each layer is made with the same arguments in both libraries and the configs
compared whole: the ``DTypePolicy`` dict, tuples where Keras has tuples,
initializers, regularizers and constraints in Keras's serialized form. Each
config then builds the other library's layer, and that layer's config is the same again.
"""

from __future__ import annotations

import pytest

import convlens.keras as ck

keras = pytest.importorskip("keras")

# (class name, positional arguments, keyword arguments): Keras's required arguments plus options that change the config.
CASES = [
    ("Activation", ("relu",), {}), ("Add", (), {}), ("Average", (), {}),
    ("AveragePooling1D", (2,), {"padding": "same"}), ("AveragePooling2D", ((2, 3),), {"strides": 1}),
    ("AveragePooling3D", (2,), {}), ("BatchNormalization", (), {"momentum": 0.9, "beta_regularizer": "l2"}),
    ("CenterCrop", (4, 5), {}), ("Concatenate", (), {"axis": 1}),
    ("Conv1D", (4, 3), {"padding": "causal", "kernel_regularizer": "l1", "kernel_constraint": "non_neg"}),
    ("Conv2D", (8, 3), {"strides": 2, "activation": "relu", "bias_initializer": "ones"}),
    ("Conv3D", (2, (1, 2, 3)), {"dilation_rate": 2}), ("Conv1DTranspose", (3, 2), {}),
    ("Conv2DTranspose", (3, 2), {"strides": 2, "output_padding": 1}), ("Conv3DTranspose", (3, 2), {}),
    ("Cropping1D", ((1, 2),), {}), ("Cropping2D", (((1, 2), (3, 4)),), {}), ("Cropping3D", (), {}),
    ("Dense", (3,), {"use_bias": False, "kernel_initializer": "he_normal"}),
    ("Dense", (3,), {"activity_regularizer": "l2", "bias_constraint": "max_norm"}),
    ("DepthwiseConv1D", (3,), {"depth_multiplier": 2}), ("DepthwiseConv2D", (3,), {"padding": "same"}),
    ("Dot", (1,), {"normalize": True}), ("Dropout", (0.3,), {"seed": 1}), ("ELU", (), {"alpha": 0.5}),
    ("Flatten", (), {}), ("GaussianNoise", (0.1,), {}), ("GlobalAveragePooling1D", (), {}),
    ("GlobalAveragePooling2D", (), {"keepdims": True}), ("GlobalAveragePooling3D", (), {}),
    ("GlobalMaxPooling1D", (), {}), ("GlobalMaxPooling2D", (), {}), ("GlobalMaxPooling3D", (), {}),
    ("GroupNormalization", (), {"groups": 4}), ("LayerNormalization", (), {"epsilon": 1e-5}),
    ("LeakyReLU", (), {"negative_slope": 0.2}), ("MaxPooling1D", (), {}), ("MaxPooling2D", (), {"pool_size": 3}),
    ("MaxPooling3D", (), {}), ("Maximum", (), {}), ("Minimum", (), {}), ("Multiply", (), {}),
    ("Normalization", (), {}), ("PReLU", (), {"alpha_constraint": "non_neg"}), ("Permute", ((2, 1),), {}),
    ("RandomBrightness", (0.2,), {}), ("RandomContrast", (0.3,), {}), ("RandomCrop", (4, 4), {}),
    ("RandomFlip", (), {}), ("RandomRotation", (0.1,), {}), ("RandomTranslation", (0.1, 0.2), {}),
    ("RandomZoom", (0.1,), {}), ("ReLU", (), {"max_value": 6.0}), ("RepeatVector", (3,), {}),
    ("Rescaling", (1 / 255,), {}), ("Reshape", ((4, 2),), {}), ("Resizing", (8, 9), {}),
    ("SeparableConv1D", (4, 3), {}), ("SeparableConv2D", (4, 3), {"depth_multiplier": 2}),
    ("Softmax", (), {"axis": 1}), ("SpatialDropout1D", (0.2,), {}), ("SpatialDropout2D", (0.2,), {}),
    ("SpatialDropout3D", (0.2,), {}), ("Subtract", (), {}), ("UpSampling1D", (), {}),
    ("UpSampling2D", ((2, 3),), {"interpolation": "bilinear"}), ("UpSampling3D", (), {}),
    ("ZeroPadding1D", (), {}), ("ZeroPadding2D", (((1, 0), (2, 3)),), {}), ("ZeroPadding3D", (), {}),
    ("InputLayer", (), {"shape": (4, 4, 3)}),
]


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_config_is_keras_config(name, args, kwargs):
    kwargs = {"name": "layer", **kwargs}
    # Random layers draw a seed when given none: the comparison needs the same one.
    if name.startswith("Random") or name in ("Dropout", "GaussianNoise") or name.startswith("SpatialDropout"):
        kwargs.setdefault("seed", 7)
    ours, theirs = getattr(ck.layers, name)(*args, **kwargs), getattr(keras.layers, name)(*args, **kwargs)
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_configs_build_each_other(name, args, kwargs):
    kwargs = {"name": "layer", **kwargs}
    if name.startswith("Random") or name in ("Dropout", "GaussianNoise") or name.startswith("SpatialDropout"):
        kwargs.setdefault("seed", 7)
    theirs = getattr(keras.layers, name)(*args, **kwargs)
    ours = getattr(ck.layers, name).from_config(theirs.get_config())
    assert getattr(keras.layers, name).from_config(ours.get_config()).get_config() == theirs.get_config()
