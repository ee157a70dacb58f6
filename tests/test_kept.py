"""Values kept by the identity of read-only arrays."""

import numpy as np
import pytest

from astrolens.kept import KeptByArray


def _read_only(array):
    array.flags.writeable = False
    return array


def _counted(kept, array):
    calls = []

    def compute():
        calls.append(1)
        return int(array.sum())

    values = [kept.get(array, "count", compute) for _ in range(3)]
    return values, len(calls)


def test_a_read_only_array_is_computed_once_per_name():
    kept = KeptByArray(size=2)
    mask = _read_only(np.array([True, False, True]))
    assert _counted(kept, mask) == ([2, 2, 2], 1)
    assert kept.get(mask, "first", lambda: int(np.argmax(mask))) == 0  # another name: computed


@pytest.mark.parametrize(
    "array",
    [
        np.array([True, True, False]),  # writeable: it can change
        _read_only(np.array([True, True, False, False])[:3]),  # a read-only view of a writeable
    ],
    ids=["writeable", "read-only view"],
)
def test_nothing_is_kept_for_an_array_that_can_change(array):
    kept = KeptByArray(size=2)
    assert _counted(kept, array) == ([2, 2, 2], 3)


def test_an_array_born_where_a_dead_one_lived_gets_its_own_values():
    kept = KeptByArray(size=4)
    first = _read_only(np.ones(1000, dtype=bool))
    kept.get(first, "count", lambda: 1000)
    address = id(first)
    del first
    second = np.zeros(1000, dtype=bool)  # CPython hands the dead array's address out at once
    second.flags.writeable = False
    if id(second) != address:
        pytest.skip("the new array was not given the dead one's address")
    assert kept.get(second, "count", lambda: int(second.sum())) == 0


def test_the_least_recently_used_array_goes_first():
    kept = KeptByArray(size=2)
    a, b, c = (_read_only(np.full(4, value)) for value in (True, False, True))
    for array in (a, b, a, c):  # a asked again: b is the least recently used when c comes
        kept.get(array, "count", lambda array=array: int(array.sum()))
    assert _counted(kept, a)[1] == 0 and _counted(kept, c)[1] == 0
    assert _counted(kept, b)[1] == 1


def test_size_must_be_positive():
    with pytest.raises(ValueError, match="size must be at least 1"):
        KeptByArray(size=0)
