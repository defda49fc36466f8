"""The Keras layer contract on a ``torch.nn.Module``.

Every convlens layer follows Keras's life cycle: ``__init__`` validates and
stores arguments → ``build(input_shape)`` creates the weights (lazily on the
first call, or eagerly when the input shape is known) → ``forward`` →
``compute_output_shape`` → ``get_config`` / ``from_config`` →
``get_weights`` / ``set_weights`` in Keras layouts.

Weights live in PyTorch's layouts (a Conv2D kernel is ``(out, in, kh, kw)``)
so the hot path calls PyTorch's kernels with no copies; ``get_weights`` and
``set_weights`` convert to and from Keras's layouts.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from .. import limits
from . import constraints as constraints_lib
from . import initializers
from . import regularizers as regularizers_lib
from .keras_tensor import is_symbolic, symbolic_call
from .penalties import Penalties, count_regularized_weight
from .naming import snake_case, unique_name
from .serialization import keras_object
from .symbolic import SymbolicCalls, dry_run_shape, first_device

Shape = tuple[int | None, ...]
Convert = Callable[[torch.Tensor], torch.Tensor]


def _identity(t: torch.Tensor) -> torch.Tensor:
    return t


def permutation(dims: tuple[int, ...]) -> Convert:
    """A layout converter that permutes axes; picklable, so models survive ``torch.save``/``pickle``.

    Example:
        >>> permutation((1, 0))(torch.zeros(2, 3)).shape
        torch.Size([3, 2])
    """
    return functools.partial(torch.permute, dims=tuple(dims))


@dataclass
class WeightSpec:
    """One Keras weight of a layer: where it lives and how its layout maps to Keras's."""

    attr: str  # attribute name of the Parameter or buffer on the layer
    keras_name: str  # Keras's variable name ("kernel", "bias", "gamma", ...)
    trainable: bool
    to_keras: Convert = _identity  # torch layout → Keras layout
    to_torch: Convert = _identity  # Keras layout → torch layout
    regularizer: Any = None  # penalty on the Keras-layout weight, added to `losses` (Keras's variable.regularizer)
    constraint: Any = None  # projection of the Keras-layout weight after each optimizer step


@dataclass(frozen=True)
class InputSpec:
    """What a layer accepts: rank (with batch axis) and fixed sizes of some axes."""

    ndim: int | None = None
    min_ndim: int | None = None
    axes: tuple[tuple[int, int], ...] = ()  # (axis, size) pairs, axis may be negative


# Keras config keys that convlens accepts only at their Keras default, because
# convlens implements the behaviour they select and nothing else.
_KERAS_ONLY_DEFAULTS: dict[str, tuple[Any, ...]] = {
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "quantization_config": (None,),
    "synchronized": (False,),
    "renorm": (False,),
    "autocast": (True, False),
    "ragged": (False,),
    "optional": (False,),
    "renorm_clipping": (None,),
    "renorm_momentum": (0.99,),
}


def standardize_tuple(value: int | Sequence[int], n: int, arg: str, *, allow_zero: bool = False) -> tuple[int, ...]:
    """Normalise an int or length-``n`` sequence of positive ints, as Keras does.

    Example:
        >>> standardize_tuple(3, 2, "kernel_size")
        (3, 3)
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(int(v) for v in value)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ValueError(f"The `{arg}` argument must be an int or a tuple of {n} ints. Received: {arg}={value!r}") from None
        if len(out) != n:
            raise ValueError(f"The `{arg}` argument must be a tuple of {n} integers. Received: {arg}={value!r}")
    low = 0 if allow_zero else 1
    if any(v < low for v in out):
        allowed = "non-negative" if allow_zero else "positive (>= 1)"
        raise ValueError(f"The `{arg}` argument must be {allowed} integers. Received: {arg}={value!r}")
    return out


def _dtype_name(dtype: Any) -> str:
    if dtype is None:
        return "float32"
    if isinstance(dtype, dict):  # Keras 3 serialized DTypePolicy
        return _dtype_name(dtype.get("config", {}).get("name"))
    if isinstance(dtype, torch.dtype):
        return str(dtype).removeprefix("torch.")
    if dtype not in ("float32", "float64", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16"):
        raise ValueError(
            f"Unsupported dtype: received dtype={dtype!r}; allowed are 'float32', 'float64', "
            "'float16', 'bfloat16', 'mixed_float16', 'mixed_bfloat16'."
        )
    return str(dtype)


def dtype_policy(name: str) -> dict[str, Any]:
    """Keras's serialized ``DTypePolicy`` for a dtype name, as layer configs carry it.

    Example:
        >>> dtype_policy("float32")["config"]
        {'name': 'float32'}
    """
    return keras_object("keras", "DTypePolicy", {"name": name})


class Layer(SymbolicCalls, Penalties, nn.Module):
    """Base class of every convlens layer: a ``torch.nn.Module`` with Keras's contract.

    Args:
        name: unique name; defaults to the snake-case class name made unique
            (``conv2d``, ``conv2d_1``, ...).
        input_shape: the input shape without the batch axis, as in
            ``layers.Rescaling(1./255, input_shape=(180, 180, 3))``; builds the
            layer at once.
        trainable: whether the weights are updated by training.
        dtype: the variable dtype name (``"float32"``).

    Layers start in inference mode, as a Keras layer called outside ``fit``
    does; a plain PyTorch loop calls ``.train()`` as usual.

    Example:
        >>> from convlens import layers
        >>> layer = layers.Dense(4)
        >>> layer.build_from_shape((None, 3))
        >>> [w.shape for w in layer.get_weights()]
        [(3, 4), (4,)]
    """

    input_spec: InputSpec | None = None
    channel_axis = -1  # the axis whose size the weights fix (1 for a channels-first layer)
    #: The weights whose regularizer and constraint the constructor takes, as Keras names them: a prefix
    #: ``p`` adds ``p_regularizer`` and ``p_constraint`` (for the weight named ``p`` or ``p_kernel``).
    weight_options: tuple[str, ...] = ()
    #: Whether ``get_config`` always writes ``activity_regularizer`` (Keras's convolutions), not only when set.
    writes_activity_regularizer = False
    #: Keras config keys of options convlens implements only at their default, written as Keras writes them.
    keras_config_defaults: dict[str, Any] = {}

    def __init__(
        self,
        *,
        name: str | None = None,
        input_shape: Sequence[int | None] | None = None,
        batch_input_shape: Sequence[int | None] | None = None,
        batch_shape: Sequence[int | None] | None = None,
        trainable: bool = True,
        dtype: Any = None,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        cls = type(self).__name__
        options = {"activity_regularizer": (regularizers_lib, activity_regularizer)}
        for prefix in self.weight_options:
            for kind, lib in (("regularizer", regularizers_lib), ("constraint", constraints_lib)):
                options[f"{prefix}_{kind}"] = (lib, kwargs.pop(f"{prefix}_{kind}", None))
        for key, (lib, value) in options.items():
            try:
                setattr(self, key, lib.get(value))
            except ValueError as error:
                raise ValueError(f"{cls}: invalid `{key}`: {error}") from None
        self._losses: list[torch.Tensor] = []
        for key in list(kwargs):
            if key in _KERAS_ONLY_DEFAULTS:
                value = kwargs.pop(key)
                if value not in _KERAS_ONLY_DEFAULTS[key]:
                    raise ValueError(
                        f"{cls}: convlens supports {key} only at its Keras default "
                        f"{_KERAS_ONLY_DEFAULTS[key][-1]!r}; received {key}={value!r}."
                    )
        if kwargs:
            raise TypeError(f"{cls}: unexpected keyword argument(s): {', '.join(sorted(kwargs))}.")
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"{cls}: name must be a non-empty string without '/'; received name={name!r}.")
        self.name = name or unique_name(snake_case(cls))
        self.dtype_name = _dtype_name(dtype)
        self.built = False
        self._build_input_shape: Shape | None = None
        self._weight_specs: list[WeightSpec] = []
        self._trainable = bool(trainable)
        shape = batch_shape or batch_input_shape
        if shape is None and input_shape is not None:
            shape = (None, *tuple(input_shape))
        self._declared_input_shape: Shape | None = tuple(shape) if shape is not None else None
        # Inference mode until told otherwise, like a Keras layer called outside `fit`.
        self.train(False)

    # ----------------------------------------------------------------- build
    def build(self, input_shape: Shape) -> None:
        """Create the layer's weights for ``input_shape`` (batch axis first, may be ``None``)."""

    def build_from_shape(self, input_shape: Shape, device: torch.device | str | None = None) -> None:
        """Check ``input_shape`` against the layer's input spec, then build once.

        Example:
            >>> from convlens import layers
            >>> conv = layers.Conv2D(8, 3)
            >>> conv.build_from_shape((None, 28, 28, 1)); conv.count_params()
            80
        """
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape)
        if self.built:
            return
        self._build_device = device
        self.build(input_shape)
        self._build_device = None
        self._build_input_shape = input_shape
        self.built = True
        self._apply_trainable()

    def add_weight(
        self,
        attr: Any = None,
        shape: Sequence[int] | None = None,
        initializer: Any = None,
        *,
        name: str | None = None,
        keras_name: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
        to_keras: Convert = _identity,
        to_torch: Convert = _identity,
        regularizer: Any = None,
        constraint: Any = None,
    ) -> torch.Tensor:
        """Create a weight: drawn in Keras layout ``shape``, stored in torch layout.

        Trainable weights become ``nn.Parameter``s; non-trainable ones (such as
        BatchNormalization's moving statistics) become buffers, so they are
        saved in ``state_dict`` and moved by ``.to(device)`` but not optimised.

        Keras's own call works too: ``self.w = self.add_weight(shape=(3, 4),
        initializer="random_normal", trainable=True, name="w")`` — the weight
        then lives under the attribute it is assigned to. The initializer
        defaults to Keras's: ``glorot_uniform`` for float weights.

        ``regularizer`` (added to ``losses``) and ``constraint`` (applied after
        each optimizer step) default to the layer's own options for this weight
        (``kernel_regularizer`` for ``"kernel"``, see ``weight_options``).

        Example:
            >>> from convlens import layers
            >>> class Scale(layers.Layer):
            ...     def build(self, input_shape):
            ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            ...     def call(self, x):
            ...         return x * self.w
            >>> Scale()(torch.ones(2, 3)).tolist()
            [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
        """
        if attr is not None and not isinstance(attr, str):  # Keras's positional order: add_weight(shape, initializer)
            attr, shape, initializer = None, attr, shape if initializer is None else initializer
        if shape is None:
            shape = ()
        if initializer is None:
            initializer = "glorot_uniform"
        if attr is None:  # re-keyed to the attribute name on assignment (see __setattr__)
            attr = f"_weight_{len(self._weight_specs)}"
            keras_name = keras_name or name or f"variable_{len(self._weight_specs)}"
        limits.claim_weight(shape)  # a layer built from a file: checked against the weights it stores, before allocating
        value = to_torch(initializers.get(initializer)(tuple(int(s) for s in shape)))
        value = value.to(dtype=self.variable_dtype, device=getattr(self, "_build_device", None)).contiguous()
        if trainable:
            self.register_parameter(attr, nn.Parameter(value))
        else:
            self.register_buffer(attr, value)
        keras_name = keras_name or attr
        option = next((p for p in self.weight_options if keras_name in (p, f"{p}_kernel")), None)
        if regularizer is None and option is not None:
            regularizer = getattr(self, f"{option}_regularizer")
        if constraint is None and option is not None:
            constraint = getattr(self, f"{option}_constraint")
        spec = WeightSpec(attr, keras_name, trainable, to_keras, to_torch,
                          regularizers_lib.get(regularizer), constraints_lib.get(constraint))
        if spec.regularizer is not None:
            count_regularized_weight()
        self._weight_specs.append(spec)
        return getattr(self, attr)

    def __setattr__(self, key: str, value: Any) -> None:
        # `self.w = self.add_weight(...)`: move the weight from its provisional name to `w`.
        specs = self.__dict__.get("_weight_specs")
        if specs and isinstance(value, torch.Tensor):
            for spec in specs:
                if spec.attr != key and spec.attr.startswith("_weight_") and getattr(self, spec.attr) is value:
                    is_parameter = spec.attr in self._parameters
                    (self._parameters if is_parameter else self._buffers).pop(spec.attr)
                    spec.attr = key
                    if not is_parameter:
                        self.register_buffer(key, value)
                        return
                    break
        super().__setattr__(key, value)

    @property
    def variable_dtype(self) -> torch.dtype:
        """The torch dtype of this layer's weights (mixed policies keep float32 variables)."""
        name = self.dtype_name.removeprefix("mixed_")
        return torch.float32 if self.dtype_name.startswith("mixed_") else getattr(torch, name)

    def _check_input_shape(self, shape: Shape) -> None:
        spec = self.input_spec
        if spec is None:
            return
        where = f"Input 0 of layer '{self.name}' ({type(self).__name__})"
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(
                f"{where} is incompatible: expected ndim={spec.ndim} (batch axis included), "
                f"found ndim={len(shape)}. Full shape received: {shape}"
            )
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(
                f"{where} is incompatible: expected min_ndim={spec.min_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        if self.built and self._build_input_shape is not None:
            axis = self.channel_axis
            expected = self._build_input_shape[axis]
            if expected is not None and shape[axis] != expected and self._weight_specs:
                raise ValueError(
                    f"{where} is incompatible: expected axis {axis} of input shape to have value {expected}, "
                    f"but received input with shape {shape}"
                )

    # ------------------------------------------------------------------ call
    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        x = args[0] if args else None
        if isinstance(x, (np.ndarray, np.generic, float, int)) or (
                isinstance(x, list) and not getattr(self, "accepts_list_input", False) and not is_symbolic(x)):
            # NumPy arrays and Python lists become torch tensors, as on Keras's torch backend
            # (the result stays a torch tensor: that is what the rest of a torch program expects).
            x = to_tensor(x, device=first_device(self))
            if x.dtype == torch.float64 and self.dtype_name != "float64":
                # Keras converts array inputs to the layer's compute dtype; a layer with weights follows them below.
                x = x.to(getattr(torch, self.dtype_name.removeprefix("mixed_")))
            args = (x, *args[1:])
        if isinstance(x, torch.Tensor):
            if not self.built:
                self.build_from_shape((None, *x.shape[1:]), device=x.device)
            else:
                self._check_input_shape(tuple(x.shape))
            if x.dtype == torch.float64:
                # Keras casts floating inputs to the layer's compute dtype (float64 arrays → float32). Here the
                # weights decide: a layer made float64 (`layer.double()`) or one without weights keeps float64.
                weight = next(itertools.chain(self.parameters(), self.buffers()), None)
                if weight is not None and weight.is_floating_point() and weight.dtype != torch.float64:
                    x = x.to(weight.dtype)
                    args = (x, *args[1:])
        elif is_symbolic(x):  # building a functional model: record the call, compute nothing
            return symbolic_call(self, args, training, kwargs)
        if training is None or bool(training) == self.training:
            return self._run(args, kwargs)
        previous = self.training
        self.train(bool(training))
        try:
            return self._run(args, kwargs)
        finally:
            self.train(previous)

    def _run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``torch.nn.Module.__call__`` (hooks, then ``forward``), with Keras's bookkeeping of added losses."""
        return self._call_with_losses(nn.Module.__call__, args, kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``call``, Keras's name for the computation, in a layer written the Keras way.

        A Keras-style subclass defines ``call(self, inputs, training=None)``;
        ``training`` is filled in with the layer's current mode when its
        signature takes it, so Dropout and BatchNormalization inside follow
        ``fit`` / ``predict``.
        """
        call = getattr(type(self), "call", None)
        if call is None:
            raise NotImplementedError(f"Layer {type(self).__name__} must define `call(self, inputs)` (or `forward`).")
        if "training" not in kwargs and _takes_training(call):
            kwargs["training"] = self.training
        return call(self, *args, **kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape (batch axis first) for ``input_shape``.

        Shape-preserving by default; a layer written the Keras way (with
        ``call`` and no ``compute_output_shape``) is run once on zeros to find it,
        as Keras traces ``call`` symbolically.
        """
        if getattr(type(self), "call", None) is None:
            return tuple(input_shape)
        return dry_run_shape(self, input_shape)

    # --------------------------------------------------------------- weights
    @property
    def trainable(self) -> bool:
        """Whether training updates this layer's weights (Keras's ``layer.trainable``)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self._apply_trainable()

    def _apply_trainable(self) -> None:
        for spec in self._weight_specs:
            if spec.trainable:
                getattr(self, spec.attr).requires_grad_(self._trainable)

    @property
    def weights(self) -> list[torch.Tensor]:
        """Keras-ordered weight tensors of this layer, in torch layout."""
        return [getattr(self, s.attr) for s in self._weight_specs]

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        """The weights that training updates."""
        return [getattr(self, s.attr) for s in self._weight_specs if s.trainable and self._trainable]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        """The weights that training leaves alone (moving statistics, frozen layers)."""
        return [getattr(self, s.attr) for s in self._weight_specs if not (s.trainable and self._trainable)]

    def get_weights(self) -> list[np.ndarray]:
        """The weights as NumPy arrays in Keras's layouts and order.

        Example:
            >>> from convlens import layers
            >>> conv = layers.Conv2D(5, 4); conv.build_from_shape((None, 8, 8, 3))
            >>> [w.shape for w in conv.get_weights()]
            [(4, 4, 3, 5), (5,)]
        """
        return [
            spec.to_keras(getattr(self, spec.attr).detach()).cpu().numpy().copy()
            for spec in self._weight_specs
        ]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set the weights from arrays in Keras's layouts and order.

        Every array is checked before any is copied, so a wrong count or shape
        raises ``ValueError`` and leaves the layer unchanged.
        """
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' has no weights yet: build it first (give `input_shape=`, "
                "call it on data, or call `build_from_shape`)."
            )
        weights = list(weights)
        if len(weights) != len(self._weight_specs):
            raise ValueError(
                f"Layer '{self.name}' expects {len(self._weight_specs)} weights "
                f"({', '.join(s.keras_name for s in self._weight_specs) or 'none'}), "
                f"but received {len(weights)}."
            )
        converted = []
        for spec, value in zip(self._weight_specs, weights):
            current = getattr(self, spec.attr)
            expected = tuple(spec.to_keras(current.detach()).shape)
            array = np.asarray(value)
            if tuple(array.shape) != expected:
                raise ValueError(
                    f"Layer '{self.name}' weight '{spec.keras_name}' has shape {expected}; "
                    f"received an array of shape {tuple(array.shape)}."
                )
            tensor = torch.as_tensor(array, dtype=current.dtype)
            converted.append((current, spec.to_torch(tensor).to(current.device)))
        with torch.no_grad():
            for current, value in converted:
                current.copy_(value)

    def count_params(self) -> int:
        """Number of weight scalars, as Keras counts them (moving statistics included).

        Example:
            >>> from convlens import layers
            >>> conv = layers.Conv2D(5, 4); conv.build_from_shape((None, 8, 8, 3))
            >>> conv.count_params()  # 4*4*3*5 + 5
            245
        """
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                "Build it first by calling it on data or giving `input_shape=`."
            )
        return sum(math.prod(getattr(self, s.attr).shape) for s in self._weight_specs)

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras's ``get_config`` (JSON-serialisable)."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "dtype": dtype_policy(self.dtype_name)}
        if self._declared_input_shape is not None:
            config["batch_shape"] = list(self._declared_input_shape)
        if self.activity_regularizer is not None or self.writes_activity_regularizer:
            config["activity_regularizer"] = regularizers_lib.serialize(self.activity_regularizer)
        for prefix in self.weight_options:
            config[f"{prefix}_regularizer"] = regularizers_lib.serialize(getattr(self, f"{prefix}_regularizer"))
            config[f"{prefix}_constraint"] = constraints_lib.serialize(getattr(self, f"{prefix}_constraint"))
        return {**config, **self.keras_config_defaults}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Layer":
        """Re-create a layer from ``get_config()`` output (convlens's or Keras's own)."""
        return cls(**config)

    def extra_repr(self) -> str:
        # Show the name and only the arguments that differ from their defaults,
        # so `print(model)` stays readable.
        import inspect

        defaults = {
            k: p.default for k, p in inspect.signature(type(self).__init__).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        config = self.get_config()
        shown = [f"name={self.name!r}"]
        for key, value in config.items():
            if key in ("name", "trainable", "dtype") or (key == "data_format" and value == "channels_last"):
                continue
            default = defaults.get(key, inspect.Parameter.empty)
            if isinstance(default, (tuple, int)) and isinstance(value, list):
                default = list(default) if isinstance(default, tuple) else [default] * len(value)
            if value == default or (default in (None, inspect.Parameter.empty) and value in (None, "linear")):
                continue
            shown.append(f"{key}={value!r}")
        return ", ".join(shown)


@functools.lru_cache(maxsize=None)
def _takes_training(call: Callable[..., Any]) -> bool:
    import inspect

    parameters = inspect.signature(call).parameters
    return "training" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def to_tensor(x: Any, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> torch.Tensor:
    """A float tensor from NumPy, a torch tensor or nested lists (integers become ``dtype``).

    Example:
        >>> to_tensor(np.zeros((2, 3), dtype=np.uint8)).dtype
        torch.float32
    """
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if not t.is_floating_point():
        t = t.to(dtype)
    return t.to(device) if device is not None else t
