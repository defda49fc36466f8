"""Write README.md's ``convlens.keras`` compatibility table from the modules themselves and from real Keras.

Run after adding names: ``KERAS_BACKEND=torch python docs/keras_compat.py``. tests/keras/test_readme.py
checks that the table in README.md matches what this script would write.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

MODULES = ["layers", "losses", "metrics", "optimizers", "callbacks", "activations", "initializers", "regularizers",
           "constraints", "utils", "ops", "models", "applications", "datasets", "backend", "config"]
README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- keras-compat:begin -->", "<!-- keras-compat:end -->"

# Why a Keras name is refused: (pattern over "module.Name", reason). First match wins.
REASONS = [
    (r"(LSTM|GRU|RNN|SimpleRNN|ConvLSTM|Bidirectional|TimeDistributed|StackedRNNCells)", "recurrent networks: outside a CNN toolkit"),
    (r"(Attention|MultiHead|GroupedQuery|Embedding|TextVectorization|StringLookup|IntegerLookup|Hashing|HashedCrossing|CategoryEncoding|Discretization|TextTokenizer|FeatureSpace|ReversibleEmbedding|RotaryEmbedding|PositionEmbedding)", "text, tabular and attention layers: outside a CNN toolkit"),
    (r"(Masking|mask)", "masking: out of scope"),
    (r"(Ragged|ragged|Sparse|sparse)", "ragged and sparse tensors: out of scope"),
    (r"(Quant|quant|Int8|Float8|LoRA|lora)", "quantization and LoRA: out of scope"),
    (r"(TFSM|tf_|TorchModuleWrapper|JaxLayer|FlaxLayer|Pipeline|InputSpec)", "another framework's objects"),
    (r"applications\.(?!vgg|VGG)", "pretrained architectures other than VGG: not yet"),
    (r"datasets\.(cifar100|imdb|reuters|boston_housing|california_housing)", "data sets outside the notes: not yet"),
]


def keras_names(module: str) -> set[str]:
    import keras

    return {n for n in dir(getattr(keras, module)) if not n.startswith("_")}


def ours(module: str) -> set[str]:
    """The names convlens.keras.<module> has that Keras has too (or resolves by name, as "mse")."""
    import keras

    theirs = getattr(keras, module)
    names = set(importlib.import_module(f"convlens.keras.{module}").__all__)
    return {n for n in names if hasattr(theirs, n) or _resolves(theirs, n)}


def _resolves(module: object, name: str) -> bool:
    try:
        return getattr(module, "get")(name) is not None
    except (AttributeError, ValueError, TypeError):
        return False


def reason(module: str, name: str) -> str:
    key = f"{module}.{name}"
    for pattern, why in REASONS:
        if re.search(pattern, key):
            return why
    return "not yet implemented"


def _listing(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 40 else f"{len(names)} names ({', '.join(names[:25])}, …)"


def table() -> str:
    rows = ["| module | convlens.keras has | Keras names refused, with the reason |", "|---|---|---|"]
    total = 0
    for module in MODULES:
        have = sorted(ours(module))
        theirs = keras_names(module)
        missing: dict[str, list[str]] = {}
        for name in sorted(theirs - set(have)):
            if module in ("layers",) and name[0].islower():
                continue  # sub-module handles and helpers, not layer classes
            missing.setdefault(reason(module, name), []).append(name)
        total += len(have)
        refused = "<br>".join(f"{why}: {_listing(names)}" for why, names in sorted(missing.items()))
        rows.append(f"| `keras.{module}` | {len(have)}: {', '.join(have)} | {refused or '—'} |")
    return "\n".join([f"convlens.keras covers {total} Keras names.", "", *rows])


def main() -> None:
    text = README.read_text()
    if BEGIN not in text:
        sys.exit(f"{README} has no {BEGIN} marker")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{BEGIN}\n{table()}\n{END}{tail}")


if __name__ == "__main__":
    main()
