import numpy as np
import pytest
from skimage.morphology import disk

from convlens import filters
from convlens.filters.windows import build_window


@pytest.mark.parametrize("radius", [0, 1, 2, 3, 5])
def test_disc_matches_skimage_disk(radius):
    np.testing.assert_array_equal(filters.footprint("disc", radius=radius), disk(radius).astype(bool))


def test_cross_by_hand():
    expected = np.array(
        [
            [0, 0, 1, 0, 0],
            [0, 0, 1, 0, 0],
            [1, 1, 1, 1, 1],
            [0, 0, 1, 0, 0],
            [0, 0, 1, 0, 0],
        ],
        dtype=bool,
    )
    np.testing.assert_array_equal(filters.footprint("cross", radius=2), expected)
    np.testing.assert_array_equal(filters.footprint("cross", size=5), expected)


def test_square_size_radius_and_pairs():
    assert filters.footprint("square", size=5).shape == (5, 5)
    assert filters.footprint("square", radius=2).shape == (5, 5)
    assert filters.footprint("square", size=(3, 7)).shape == (3, 7)
    assert filters.footprint("square", radius=(0, 1)).shape == (1, 3)
    assert filters.footprint().shape == (3, 3)  # default radius 1
    assert filters.footprint("square").all()


def test_weights_define_the_window_and_footprint():
    window = build_window(weights=[[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(window.mask, filters.footprint("cross", radius=1))
    assert window.radius == (1, 1)


def test_boolean_footprint_array_accepts_zero_one_ints():
    window = build_window(kind=np.array([[0, 1, 1]]))
    np.testing.assert_array_equal(window.mask, [[False, True, True]])
    assert window.taps == [(0, 1), (0, 2)]


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"kind": "disc", "radius": -1}, ["radius", "-1", ">= 0"]),
        ({"kind": "square", "size": 4}, ["size", "4", "odd"]),
        ({"kind": "hexagon"}, ["footprint", "'hexagon'", "'square'", "'disc'", "'cross'"]),
        ({"kind": "disc", "radius": (1, 2)}, ["disc", "radius=(1, 2)"]),
        ({"kind": "square", "size": 3, "radius": 1}, ["size", "radius", "not both"]),
        ({"kind": np.ones((2, 3), bool)}, ["footprint", "odd", "(2, 3)"]),
        ({"kind": np.zeros((3, 3), bool)}, ["footprint", "True"]),
        ({"kind": np.full((3, 3), 0.5)}, ["footprint", "boolean"]),
        ({"kind": np.ones((3, 3), bool), "size": 3}, ["footprint array", "size=3"]),
        ({"weights": np.ones((4, 3))}, ["weights", "odd", "(4, 3)"]),
        ({"weights": np.zeros((3, 3))}, ["weights", "not all zero"]),
        ({"weights": np.ones(3)}, ["weights", "2D"]),
        ({"weights": np.ones((3, 3)), "size": 3}, ["weights", "size=3"]),
    ],
)
def test_bad_windows_name_argument_value_and_allowed(kwargs, words):
    with pytest.raises(ValueError) as info:
        build_window(**kwargs)
    for word in words:
        assert word in str(info.value)
