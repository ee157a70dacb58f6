"""Quality flags: which cadences a quality bitmask removes.

Kepler, K2 and TESS light-curve files flag every cadence with an integer (column ``SAP_QUALITY``
for Kepler/K2, ``QUALITY`` for TESS) whose bits name the problems seen. A ``quality_bitmask``
selects bits; a cadence is kept when ``quality & bitmask == 0``, exactly as lightkurve does. The
bits (:class:`KeplerQualityBits`, :class:`TessQualityBits`) and the named bitmasks are lightkurve's
(``lightkurve.utils.KeplerQualityFlags`` and ``TessQualityFlags``), written out here so that reading
a file does not import lightkurve:

``"default"`` (cadences that are certainly useless)
    Kepler and K2: 1130799 = 1 attitude tweak | 2 safe mode | 4 coarse point | 8 Earth point |
    32 reaction-wheel desaturation | 256 manual exclude | 16384 detector anomaly | 65536 no data |
    1048576 thruster firing.
    TESS: 17087 = 1 attitude tweak | 2 safe mode | 4 coarse point | 8 Earth point |
    16 Argabrightening | 32 reaction-wheel desaturation | 128 manual exclude |
    512 impulsive outlier | 16384 bad calibration.
``"hard"`` (also removes some good data)
    Kepler and K2: 1664431 = default | 128 cosmic ray in aperture | 1024 sensitivity dropout |
    8192 cosmic ray in collateral data | 524288 possible thruster firing.
    TESS: 24319 = default | 64 cosmic ray in aperture | 1024 cosmic ray in collateral data |
    2048 stray light | 4096 stray light 2.
``"hardest"``
    Every flag: 2096639 (Kepler and K2), 65535 (TESS).
``"none"``
    0: no cadence is removed.

An integer is used as the bitmask itself. For a file of unknown mission the meaning of the bits
is unknown, so the named bitmasks remove nothing there; an integer bitmask is still applied.

Examples
--------
>>> resolve_bitmask("default", "Kepler"), resolve_bitmask("default", "TESS")
(1130799, 17087)
>>> resolve_bitmask("hard", "K2"), resolve_bitmask("hard", "TESS")
(1664431, 24319)
>>> quality_mask([0, 1, 16, 128], resolve_bitmask("default", "TESS"))
array([ True, False, False, False])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike

QualityBitmask = str | int
"""A named bitmask (``"none"``, ``"default"``, ``"hard"``, ``"hardest"``) or an integer."""


class KeplerQualityBits:
    """The quality bits of Kepler and K2 files (Kepler Archive Manual, Table 2.3).

    The names and values of ``lightkurve.utils.KeplerQualityFlags``; bit 512 is unused.

    Examples
    --------
    >>> KeplerQualityBits.Desat, KeplerQualityBits.OPTIONS["default"]
    (32, 1130799)
    """

    AttitudeTweak = 1
    SafeMode = 2
    CoarsePoint = 4
    EarthPoint = 8
    ZeroCrossing = 16
    Desat = 32
    Argabrightening = 64
    ApertureCosmic = 128
    ManualExclude = 256
    SensitivityDropout = 1024
    ImpulsiveOutlier = 2048
    ArgabrighteningOnCCD = 4096
    CollateralCosmic = 8192
    DetectorAnomaly = 16384
    NoFinePoint = 32768
    NoData = 65536
    RollingBandInAperture = 131072
    RollingBandInMask = 262144
    PossibleThrusterFiring = 524288
    ThrusterFiring = 1048576

    DEFAULT_BITMASK = (
        AttitudeTweak
        | SafeMode
        | CoarsePoint
        | EarthPoint
        | Desat
        | ManualExclude
        | DetectorAnomaly
        | NoData
        | ThrusterFiring
    )
    HARD_BITMASK = (
        DEFAULT_BITMASK
        | SensitivityDropout
        | ApertureCosmic
        | CollateralCosmic
        | PossibleThrusterFiring
    )
    HARDEST_BITMASK = 2096639
    OPTIONS: ClassVar[Mapping[str, int]] = {
        "none": 0,
        "default": DEFAULT_BITMASK,
        "hard": HARD_BITMASK,
        "hardest": HARDEST_BITMASK,
    }


class TessQualityBits:
    """The quality bits of TESS files (Science Data Products Description Document, Table 28).

    The names and values of ``lightkurve.utils.TessQualityFlags``.

    Examples
    --------
    >>> TessQualityBits.Desat, TessQualityBits.OPTIONS["default"]
    (32, 17087)
    """

    AttitudeTweak = 1
    SafeMode = 2
    CoarsePoint = 4
    EarthPoint = 8
    Argabrightening = 16
    Desat = 32
    ApertureCosmic = 64
    ManualExclude = 128
    Discontinuity = 256
    ImpulsiveOutlier = 512
    CollateralCosmic = 1024
    Straylight = 2048
    Straylight2 = 4096
    PlanetSearchExclude = 8192
    BadCalibrationExclude = 16384
    InsufficientTargets = 32768

    DEFAULT_BITMASK = (
        AttitudeTweak
        | SafeMode
        | CoarsePoint
        | EarthPoint
        | Argabrightening
        | Desat
        | ManualExclude
        | ImpulsiveOutlier
        | BadCalibrationExclude
    )
    HARD_BITMASK = DEFAULT_BITMASK | ApertureCosmic | CollateralCosmic | Straylight | Straylight2
    HARDEST_BITMASK = 65535
    OPTIONS: ClassVar[Mapping[str, int]] = {
        "none": 0,
        "default": DEFAULT_BITMASK,
        "hard": HARD_BITMASK,
        "hardest": HARDEST_BITMASK,
    }


BITMASK_NAMES = tuple(KeplerQualityBits.OPTIONS)
"""The named bitmasks, in order of severity."""

_BITMASKS_OF_MISSION: dict[str, Mapping[str, int]] = {
    "Kepler": KeplerQualityBits.OPTIONS,
    "K2": KeplerQualityBits.OPTIONS,
    "TESS": TessQualityBits.OPTIONS,
}


def check_bitmask(quality_bitmask: QualityBitmask) -> None:
    """Raise if a quality bitmask is neither a known name nor a non-negative integer.

    Parameters
    ----------
    quality_bitmask
        The value to check.

    Raises
    ------
    ValueError
        For an unknown name, a negative integer, or any other type.

    Examples
    --------
    >>> check_bitmask("default")
    >>> check_bitmask(-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: quality_bitmask=-1 is not one of 'none', 'default', 'hard', 'hardest' nor ...
    """
    if isinstance(quality_bitmask, str):
        valid = quality_bitmask.lower() in BITMASK_NAMES
    else:
        valid = isinstance(quality_bitmask, int | np.integer) and not isinstance(
            quality_bitmask, bool
        )
        valid = valid and int(quality_bitmask) >= 0
    if not valid:
        names = ", ".join(repr(name) for name in BITMASK_NAMES)
        raise ValueError(
            f"quality_bitmask={quality_bitmask!r} is not one of {names} nor a non-negative integer"
        )


def resolve_bitmask(quality_bitmask: QualityBitmask, mission: str | None) -> int:
    """The integer bitmask that a named or integer ``quality_bitmask`` means for a mission.

    Parameters
    ----------
    quality_bitmask
        ``"none"``, ``"default"``, ``"hard"``, ``"hardest"`` (case-insensitive) or an integer.
    mission
        ``"Kepler"``, ``"K2"``, ``"TESS"``, or None (or another name) when unknown.

    Returns
    -------
    int
        The bits that remove a cadence; 0 for a named bitmask of an unknown mission.

    Raises
    ------
    ValueError
        If ``quality_bitmask`` is not valid (see :func:`check_bitmask`).

    Examples
    --------
    >>> resolve_bitmask("hardest", "TESS"), resolve_bitmask("default", None)
    (65535, 0)
    >>> resolve_bitmask(5, None)
    5
    """
    check_bitmask(quality_bitmask)
    if not isinstance(quality_bitmask, str):
        return int(quality_bitmask)
    bitmasks = _BITMASKS_OF_MISSION.get(mission or "")
    if bitmasks is None:
        return 0
    return bitmasks[quality_bitmask.lower()]


def quality_mask(quality: ArrayLike, bitmask: int) -> np.ndarray:
    """Which cadences a bitmask keeps: True where ``quality & bitmask == 0``.

    Parameters
    ----------
    quality
        Integer quality flags, one per cadence.
    bitmask
        Integer bitmask, e.g. from :func:`resolve_bitmask`.

    Returns
    -------
    numpy.ndarray
        Boolean array, True for the cadences to keep.

    Examples
    --------
    >>> quality_mask([0, 32, 64], 32)
    array([ True, False,  True])
    """
    return (np.asarray(quality, dtype=np.int64) & bitmask) == 0
