"""plot_architecture: one drawing per shape-changing layer, labelled shapes and operations, rows that fit."""

from __future__ import annotations

from matplotlib.patches import Rectangle

from convlens import zoo
from convlens.lens import plot_architecture
from convlens.lens.architecture import arrange, blocks


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_mnist_convnet_drawing_names_every_shape_and_operation(mnist_convnet):
    fig = plot_architecture(mnist_convnet)
    labels = texts(fig)
    for shape in ("28×28×1", "26×26×32", "13×13×32", "11×11×64", "5×5×64", "1600", "10"):
        assert shape in labels
    arrows = [t for t in labels if "\n" in t or t in ("max-pool 2×2", "flatten")]
    assert arrows == ["÷255\nconv 3×3\nrelu", "max-pool 2×2", "conv 3×3\nrelu", "max-pool 2×2", "flatten",
                      "dropout 0.5\ndense\nsoftmax"]
    assert "mnist_convnet: 34,826 parameters" in labels


def test_blocks_fold_shape_keeping_layers_into_the_next_operation():
    items = blocks(zoo.create("lenet5"))
    assert [b.shape for b in items] == [(28, 28, 1), (28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,),
                                        (120,), (84,), (10,)]
    assert items[1].operation == "÷255\nconv 5×5\ntanh" and items[2].operation == "avg-pool 2×2"
    assert [b.kind for b in items] == ["input", "conv", "pool", "conv", "pool", "vector", "vector", "vector", "vector"]


def test_vgg16_wraps_into_balanced_rows_that_fit(vgg16):
    fig = plot_architecture(vgg16)
    width, _ = fig.get_size_inches()
    assert width <= 17.5
    rows, _ = arrange(vgg16)
    assert 2 <= len(rows) <= 4 and min(len(row) for row in rows) >= 4  # no lone leftover on the last row
    assert [b.shape for row in rows for b in row] == [b.shape for b in blocks(vgg16)]
    planes = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(planes) > len(blocks(vgg16))  # stacks of several planes
    assert "7×7×512" in texts(fig) and "25088" in texts(fig)
    assert all(t.get_window_extent().x1 <= fig.bbox.x1 + 1 for t in fig.axes[0].texts)


def test_small_models_stay_on_one_row():
    for name in ("mnist_convnet", "lenet5"):
        model = zoo.create(name)
        rows, _ = arrange(model)
        assert len(rows) == 1
        assert plot_architecture(model).get_size_inches()[0] <= 16.5
