"""lens.learn_filter: random weights become the target kernel; pictures and errors."""

import numpy as np
import pytest
from PIL import Image

from convlens import filters, lens


@pytest.fixture(scope="module")
def learned():
    return lens.learn_filter("line_vertical", seed=0)


def test_learned_kernel_reaches_the_target(learned):
    np.testing.assert_array_equal(learned.target, filters.LINE_VERTICAL)
    assert learned.max_error < 0.02
    assert np.abs(learned.initial - learned.target).max() > 1.0  # it really started far away
    assert learned.loss[-1] < learned.loss[0] * 1e-3
    assert len(learned.history) == len(learned.loss) + 1
    text = learned.format()
    assert text.splitlines()[1].split()[3:6] == ["-1.0", "2.0", "-1.0"]


def test_pictures(learned, tmp_path):
    fig = lens.plot_learning(learned, save=tmp_path / "learning.png")
    assert len([ax for ax in fig.axes if ax.images]) == 7  # 6 frames and the target
    gif = lens.save_learning_gif(learned, tmp_path / "learning.gif", frames=5)
    with Image.open(gif) as image:
        assert image.n_frames == 5
    with pytest.raises(ValueError, match="ending in .gif"):
        lens.save_learning_gif(learned, tmp_path / "learning.png")


def test_user_array_and_images():
    rng = np.random.default_rng(1)
    images = rng.random((32, 16, 16))
    target = np.array([[0.0, 1.0, 0.0], [0.5, -1.0, 0.5], [0.0, 0.0, 0.0]])
    result = lens.learn_filter(target, seed=3, images=images, count=16, epochs=10, batch_size=4)
    assert result.target is not None and np.array_equal(result.target, target)
    assert result.loss[-1] < result.loss[0] / 5  # on its way: the full run is the MNIST test above
    assert np.abs(result.learned - target).max() < np.abs(result.initial - target).max()


def test_bad_input():
    with pytest.raises(ValueError, match="target: expected a 2D kernel"):
        lens.learn_filter(np.ones(3))
    with pytest.raises(ValueError, match="name"):
        lens.learn_filter("no_such_kernel")
    images = np.ones((4, 8, 8))
    images[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="images: they hold NaN"):
        lens.learn_filter(images=images)
    with pytest.raises(ValueError, match=r"images: expected grayscale"):
        lens.learn_filter(images=np.ones((4, 8, 8, 3)))
