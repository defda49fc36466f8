"""Receptive fields: how many input pixels one output value of a layer can see.

The standard recurrence, per spatial axis, through every sliding window
(convolution or pooling) with kernel ``k``, dilation ``d`` and stride ``s``:
``r_out = r_in + (k − 1)·d·j_in`` and ``j_out = j_in·s``, starting from
``r = j = 1`` at the input; ``j`` ("jump") is the distance in input pixels
between neighbouring outputs. Upsampling divides the jump, so it can become a
fraction; sizes are then rounded up to whole pixels (the widest case).

Example:
    >>> from convlens.lens.formulas import RFStep
    >>> rf = ReceptiveField.start(2)
    >>> for step in (RFStep("window", (3, 3), (1, 1), (1, 1)), RFStep("window", (2, 2), (2, 2), (1, 1)),
    ...              RFStep("window", (3, 3), (1, 1), (1, 1))):
    ...     rf = rf.advance(step)
    >>> rf.size, rf.jump  # conv 3 → pool 2 → conv 3
    ((8, 8), (Fraction(2, 1), Fraction(2, 1)))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .formulas import AXIS_NAMES, Formula, RFStep


@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field after a layer, per spatial axis.

    Attributes:
        size: input pixels seen per axis, or None when every output sees the
            whole input (``whole``) or the layout was rearranged.
        jump: input pixels between neighbouring outputs per axis.
        whole: every output depends on every input pixel (after Flatten + Dense,
            global pooling).
        formulas: how this layer's ``size`` and ``jump`` were computed.

    Example:
        >>> rf = ReceptiveField.start(2).advance(RFStep("window", (3, 3), (2, 2), (1, 1)))
        >>> rf.size, rf.formulas[0].text
        ((3, 3), '1 + (3 − 1)·1 = 3')
    """

    size: tuple[int, ...] | None
    jump: tuple[Fraction, ...] | None
    whole: bool = False
    formulas: tuple[Formula, ...] = ()

    @classmethod
    def start(cls, rank: int) -> "ReceptiveField":
        """One input pixel sees itself: ``r = j = 1`` on each of ``rank`` axes."""
        return cls((1,) * rank, (Fraction(1),) * rank)

    @classmethod
    def merge(cls, fields: list["ReceptiveField"]) -> "ReceptiveField":
        """The field of a layer that combines several inputs (Add, Concatenate): the widest one.

        Branches with different jumps do not line up pixel for pixel, so their
        combination is not tracked.
        """
        if len(fields) == 1:
            return fields[0]
        if any(f.whole for f in fields):
            return cls(None, None, whole=True)
        if any(f.size is None for f in fields) or len({f.jump for f in fields}) > 1:
            return cls(None, None)
        return cls(tuple(max(sizes) for sizes in zip(*(f.size for f in fields))), fields[0].jump)

    def advance(self, step: RFStep) -> "ReceptiveField":
        """The receptive field after a layer that acts as ``step`` says."""
        if step.kind == "whole" or self.whole:
            return ReceptiveField(None, None, whole=True)
        if step.kind == "unknown" or self.size is None or self.jump is None:
            return ReceptiveField(None, None)
        if step.kind == "same":
            return ReceptiveField(self.size, self.jump)
        names = AXIS_NAMES.get(len(self.size), tuple(f"axis {i}" for i in range(len(self.size))))
        sizes, jumps, formulas = [], [], []
        for axis, (r, j) in enumerate(zip(self.size, self.jump)):
            name = names[axis]
            if step.kind == "upsample":
                u = step.stride[axis]
                sizes.append(r)
                jumps.append(j / u)
                formulas.append(Formula(f"jump ({name})", "j_in/size", f"{j}/{u}", j / u))
                continue
            k, s = step.kernel[axis], step.stride[axis]
            d = step.dilation[axis] if step.dilation else 1
            if step.kind == "window":
                grow = (k - 1) * d * j
                grow_text = f"({k} − 1)·{j}" if d == 1 else f"({k} − 1)·{d}·{j}"
                grow_symbolic = "(k − 1)·j_in" if d == 1 else "(k − 1)·d·j_in"
                new_jump = j * s
                jump_formula = Formula(f"jump ({name})", "j_in·s", f"{j}·{s}", new_jump)
            else:  # transpose: an output sees ⌈span/s⌉ neighbouring inputs; the jump shrinks s times
                span = (k - 1) * d + 1
                grow, grow_text = (math.ceil(span / s) - 1) * j, f"(⌈{span}/{s}⌉ − 1)·{j}"
                grow_symbolic = "(⌈((k − 1)·d + 1)/s⌉ − 1)·j_in"
                new_jump = j / s
                jump_formula = Formula(f"jump ({name})", "j_in/s", f"{j}/{s}", new_jump)
            if grow.denominator != 1:
                grow_text, grow_symbolic = f"⌈{grow_text}⌉", f"⌈{grow_symbolic}⌉"
            new_size = r + math.ceil(grow)
            sizes.append(new_size)
            jumps.append(new_jump)
            formulas += [Formula(f"receptive field ({name})", f"r_in + {grow_symbolic}", f"{r} + {grow_text}", new_size),
                         jump_formula]
        return ReceptiveField(tuple(sizes), tuple(jumps), formulas=tuple(formulas))
