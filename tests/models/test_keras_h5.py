"""HDF5 weights files that keep something outside themselves are refused before anything is followed or read."""

import os
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.errors import FileFormatError
from convlens.models.keras_h5 import refuse_links


def small_model():
    return Sequential([layers.Input((4,)), layers.Dense(2, name="dense")])


def legacy_h5(path, model, tamper):
    """A Keras 2 style weights file (``layer_names`` / ``weight_names``), then ``tamper(h5)``."""
    with h5py.File(path, "w") as h5:
        h5.attrs["layer_names"] = [b"dense"]
        group = h5.create_group("dense")
        group.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        for name, array in zip(("kernel:0", "bias:0"), model.get_weights()):
            group.create_dataset(f"dense/{name}", data=array)
        tamper(h5)
    return path


TAMPERINGS = {
    "external link at the root": lambda h5: h5.__setitem__("model_weights", h5py.ExternalLink("pipe", "/")),
    "external link for a weight": lambda h5: (h5["dense/dense"].__delitem__("bias:0"),
                                              h5["dense/dense"].__setitem__("bias:0", h5py.ExternalLink("pipe", "/b"))),
    "soft link for a weight": lambda h5: (h5["dense/dense"].__delitem__("bias:0"),
                                          h5["dense/dense"].__setitem__("bias:0", h5py.SoftLink("/dense/dense/kernel:0"))),
}


def test_links_to_a_fifo_are_refused_without_hanging(tmp_path):
    # Following the link would open the FIFO and wait for a writer forever: run in a child with a timeout.
    os.mkfifo(tmp_path / "pipe")
    for k, tamper in enumerate(TAMPERINGS.values()):
        legacy_h5(tmp_path / f"w{k}.h5", small_model(), tamper)
    script = textwrap.dedent(f"""
        from convlens import Sequential, layers, zoo
        from convlens.errors import FileFormatError
        for k in range({len(TAMPERINGS)}):
            model = Sequential([layers.Input((4,)), layers.Dense(2, name="dense")])
            try:
                zoo.load_pretrained(model, "w%d.h5" % k)
            except FileFormatError as error:
                print("refused:", error)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == len(TAMPERINGS), done.stdout + done.stderr
    assert "w0.h5: model_weights is an ExternalLink to pipe:/" in lines[0]
    assert "w1.h5: dense/dense/bias:0 is an ExternalLink to pipe:/b" in lines[1]
    assert "w2.h5: dense/dense/bias:0 is a SoftLink to /dense/dense/kernel:0" in lines[2]


def test_virtual_and_externally_stored_datasets_are_refused(tmp_path):
    (tmp_path / "raw.bin").write_bytes(np.zeros(8, np.float32).tobytes())
    with h5py.File(tmp_path / "v.h5", "w") as h5:
        h5.create_dataset("stored_elsewhere", (8,), "f4", external=[(str(tmp_path / "raw.bin"), 0, 32)])
    with h5py.File(tmp_path / "v.h5", "r") as h5, pytest.raises(FileFormatError, match="stored_elsewhere is a dataset "
                                                                   "whose data lies in other files"):
        refuse_links(h5, "v.h5")
    layout = h5py.VirtualLayout((8,), "f4")
    layout[:] = h5py.VirtualSource(str(tmp_path / "v.h5"), "stored_elsewhere", (8,))
    with h5py.File(tmp_path / "virtual.h5", "w") as h5:
        h5.create_virtual_dataset("mapped", layout)
    with h5py.File(tmp_path / "virtual.h5", "r") as h5, pytest.raises(FileFormatError, match="mapped is a dataset"):
        refuse_links(h5, "virtual.h5")


def test_keras3_weights_with_an_external_link_are_refused(tmp_path):
    model = small_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as h5:
        h5["layers/dense/extra"] = h5py.ExternalLink("/dev/zero", "/")
    other = small_model()
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(FileFormatError, match="layers/dense/extra is an ExternalLink to /dev/zero:/"):
        other.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))  # unchanged


def test_plain_files_pass(tmp_path):
    model = small_model()
    legacy_h5(tmp_path / "ok.h5", model, lambda h5: None)
    with h5py.File(tmp_path / "ok.h5", "r") as h5:
        refuse_links(h5, "ok.h5")
