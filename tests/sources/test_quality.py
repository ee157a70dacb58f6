"""Quality masks are lightkurve's, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from lightkurve.utils import KeplerQualityFlags, TessQualityFlags

from astrolens.sources.quality import (
    BITMASK_NAMES,
    KeplerQualityBits,
    TessQualityBits,
    check_bitmask,
    quality_mask,
    resolve_bitmask,
)

_FLAGS = {"Kepler": KeplerQualityFlags, "K2": KeplerQualityFlags, "TESS": TessQualityFlags}


def _constants(flags: type) -> dict[str, object]:
    """The bits, bitmasks and named options a flags class defines."""
    return {
        name: value
        for name, value in vars(flags).items()
        if not name.startswith("_") and isinstance(value, int | dict)
    }


@pytest.mark.parametrize(
    ("ours", "lightkurves"),
    [(KeplerQualityBits, KeplerQualityFlags), (TessQualityBits, TessQualityFlags)],
)
def test_bits_are_lightkurves_every_name_and_value(ours, lightkurves):
    theirs = {name: value for name, value in _constants(lightkurves).items() if name != "STRINGS"}
    assert _constants(ours) == theirs
    assert set(theirs["OPTIONS"]) == set(BITMASK_NAMES)


@pytest.mark.parametrize("mission", sorted(_FLAGS))
@pytest.mark.parametrize("name", BITMASK_NAMES)
def test_named_bitmasks_are_lightkurves(name, mission):
    assert resolve_bitmask(name, mission) == _FLAGS[mission].OPTIONS[name]


@settings(max_examples=80, deadline=None)
@given(
    quality=hnp.arrays(np.int32, st.integers(0, 50), elements=st.integers(0, 2**21 - 1)),
    bitmask=st.one_of(st.sampled_from(BITMASK_NAMES), st.integers(0, 2**21 - 1)),
    mission=st.sampled_from(sorted(_FLAGS)),
)
def test_mask_is_lightkurves(quality, bitmask, mission):
    with np.errstate(invalid="ignore"):  # lightkurve logs 0/0 percent masked for no cadence
        expected = _FLAGS[mission].create_quality_mask(quality, bitmask=bitmask)
    np.testing.assert_array_equal(
        quality_mask(quality, resolve_bitmask(bitmask, mission)), expected
    )


def test_default_bits_are_the_documented_ones():
    kepler = (1, 2, 4, 8, 32, 256, 16384, 65536, 1048576)
    tess = (1, 2, 4, 8, 16, 32, 128, 512, 16384)
    assert resolve_bitmask("default", "Kepler") == sum(kepler) == resolve_bitmask("DEFAULT", "K2")
    assert resolve_bitmask("default", "TESS") == sum(tess)


@pytest.mark.parametrize("mission", [None, "CoRoT"])
def test_unknown_mission_named_bitmasks_remove_nothing_integers_still_apply(mission):
    quality = np.array([0, 1, 2, 3])
    assert resolve_bitmask("hardest", mission) == 0
    assert quality_mask(quality, resolve_bitmask("hardest", mission)).all()
    np.testing.assert_array_equal(
        quality_mask(quality, resolve_bitmask(2, mission)), [True, True, False, False]
    )


@pytest.mark.parametrize("bitmask", ["strict", -1, True, 1.5, None])
def test_invalid_bitmask_is_refused(bitmask):
    with pytest.raises(ValueError, match="quality_bitmask="):
        check_bitmask(bitmask)
    with pytest.raises(ValueError, match="quality_bitmask="):
        resolve_bitmask(bitmask, "TESS")


def test_numpy_integer_bitmask_is_accepted():
    assert resolve_bitmask(np.int64(1024), "Kepler") == 1024
