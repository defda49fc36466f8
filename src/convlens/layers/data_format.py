"""Where the channel axis is: Keras's ``data_format`` argument and the global ``image_data_format``.

``"channels_last"`` (Keras's default) is ``(N, *spatial, C)``; ``"channels_first"`` is ``(N, C, *spatial)``,
PyTorch's own layout. The convolution and pooling layers compute on channels-first views, so a channels-last layer
moves the channel axis at its boundary (a free view of contiguous channels-last memory) and a channels-first one
has nothing to move. :class:`ChannelsLayout` makes that choice once, when the layer is made, and stores the two
boundary functions; ``forward`` calls them without asking which layout it has, so the channels-last path does the
same work as before the option existed.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import torch

DATA_FORMATS = ("channels_last", "channels_first")
_IMAGE_DATA_FORMAT = ["channels_last"]  # one mutable cell: Keras's process-wide default, read when a layer is made

Shape = tuple[int | None, ...]


def _checked(data_format: Any) -> str:
    value = str(data_format).lower()
    if value not in DATA_FORMATS:
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    return value


def image_data_format() -> str:
    """The layout that ``data_format=None`` means: ``"channels_last"`` unless set otherwise, as in Keras.

    Example:
        >>> image_data_format()
        'channels_last'
    """
    return _IMAGE_DATA_FORMAT[0]


def set_image_data_format(data_format: str) -> None:
    """Set the layout that layers made from now on with ``data_format=None`` use (``keras.config``'s setter).

    Example:
        >>> set_image_data_format("channels_first"); image_data_format()
        'channels_first'
        >>> set_image_data_format("channels_last")
    """
    _IMAGE_DATA_FORMAT[0] = _checked(data_format)


def standardize_data_format(data_format: str | None) -> str:
    """``data_format`` checked and lower-cased; ``None`` is :func:`image_data_format`, as Keras resolves it.

    Example:
        >>> standardize_data_format(None), standardize_data_format("Channels_First")
        ('channels_last', 'channels_first')
    """
    return image_data_format() if data_format is None else _checked(data_format)


def channels_last_shape(shape: Sequence[int | None]) -> Shape:
    """A channels-first shape ``(N, C, *spatial)`` written channels-last, ``(N, *spatial, C)``.

    Example:
        >>> channels_last_shape((None, 3, 28, 28))
        (None, 28, 28, 3)
    """
    shape = tuple(shape)
    return shape if len(shape) < 3 else (shape[0], *shape[2:], shape[1])


def _same(x: torch.Tensor) -> torch.Tensor:
    return x


# Views, never copies; partials of torch's own function, so they cost what the method call did and pickle.
_LAST_TO_FIRST = functools.partial(torch.movedim, source=-1, destination=1)  # (N, *spatial, C) → (N, C, *spatial)
_FIRST_TO_LAST = functools.partial(torch.movedim, source=1, destination=-1)  # (N, C, *spatial) → (N, *spatial, C)


class ChannelsLayout:
    """The layout part of a layer over ``(N, *spatial, C)`` or ``(N, C, *spatial)`` tensors.

    A layer calls :meth:`set_data_format` in its ``__init__`` and then uses:

    - ``data_format`` (what ``get_config`` records) and ``channel_axis`` (1 or -1);
    - ``to_channels_first`` / ``from_channels_first``: the boundary of a computation done channels-first;
    - ``to_channels_last`` / ``from_channels_last``: the boundary of one done channels-last (image layers);
    - :meth:`spatial_of` and :meth:`shaped` for ``compute_output_shape``.

    Example:
        >>> from convlens import layers
        >>> pool = layers.MaxPooling2D(data_format="channels_first")
        >>> pool.channel_axis, pool.spatial_of((None, 3, 8, 6)), pool.shaped(None, (4, 3), 3)
        (1, (8, 6), (None, 3, 4, 3))
    """

    data_format = "channels_last"
    channel_axis = -1

    def set_data_format(self, data_format: str | None) -> None:
        self.data_format = standardize_data_format(data_format)
        first = self.data_format == "channels_first"
        self.channel_axis = 1 if first else -1
        self.spatial_start = 2 if first else 1  # index of the first spatial axis
        self.to_channels_first = _same if first else _LAST_TO_FIRST
        self.from_channels_first = _same if first else _FIRST_TO_LAST
        self.to_channels_last = _FIRST_TO_LAST if first else _same
        self.from_channels_last = _LAST_TO_FIRST if first else _same

    def spatial_of(self, shape: Sequence[int | None]) -> Shape:
        """The spatial sizes of a (batch-first) shape in this layout."""
        shape = tuple(shape)
        return shape[2:] if self.channel_axis == 1 else shape[1:-1]

    def shaped(self, batch: int | None, spatial: Sequence[int | None], channels: int | None) -> Shape:
        """A shape in this layout from its batch size, spatial sizes and channels."""
        if self.channel_axis == 1:
            return (batch, channels, *spatial)
        return (batch, *spatial, channels)
