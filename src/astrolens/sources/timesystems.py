"""Time systems of light-curve tables: what a time column's name says, and what its values say.

Every time system here is a Julian date (JD, in days) minus a zero point:

============================================  ===============  ============================
time column name (any case)                   zero point (JD)  format of ``time`` (astropy)
============================================  ===============  ============================
``jd``, ``hjd``, ``bjd`` (``bjd_tdb``, ...)   0                ``"jd"``
``mjd``                                       2400000.5        ``"mjd"``
``rjd`` (reduced JD)                          2400000          ``"jd"`` (zero point added)
``bkjd`` (Kepler, K2)                         2454833          ``"bkjd"``
``btjd`` (TESS)                               2457000          ``"btjd"``
``hjd-2450000``, ``hjd_2450000``,             the number       ``"jd"`` (zero point added),
``JD-2400000``, ``MJD-50000`` (reduced)       (+ 2400000.5     or ``"bkjd"``/``"btjd"``/
                                              for MJD)         ``"mjd"`` when it is theirs
``time``, ``t``                               from the values  see :func:`time_format_of`
============================================  ===============  ============================

A reduced date has a zero point of four to seven digits after ``-``, ``_`` or a space (a time
scale may come between: ``BJD_TDB-2457000``). Times keep the zero point of their column when
astropy has a format for it (``jd``, ``mjd``, ``bkjd``, ``btjd``); any other zero point is added
back, giving Julian dates, exact to about 40 microseconds in float64.

Heliocentric (HJD) and barycentric (BJD) dates are not converted into one another: they differ
by up to about 4 s (the Sun is not the barycentre) plus the difference of their time scales
(UTC or TDB, about a minute), which shifts a light curve as a whole. Periods and the shapes of
light curves depend only on the intervals between times.

Examples
--------
>>> system = time_system("HJD-2450000")
>>> system.zero_point, system.time_format
(2450000.0, None)
>>> time_system("BJD - 2457000").time_format
'btjd'
>>> time_system("flux") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike

import numpy as np

from astrolens.errors import InvalidLightCurve

FORMAT_OF_ZERO_POINT = {0.0: "jd", 2400000.5: "mjd", 2454833.0: "bkjd", 2457000.0: "btjd"}
"""The ``astropy.time.Time`` format of days counted from each zero point (a JD)."""

ZERO_POINT_OF_SYSTEM = {
    "jd": 0.0,
    "hjd": 0.0,
    "bjd": 0.0,
    "mjd": 2400000.5,
    "rjd": 2400000.0,
    "bkjd": 2454833.0,
    "btjd": 2457000.0,
}
"""The zero point (a JD) of each time system named by a column."""

UNNAMED_TIME_COLUMNS = ("time", "t")
"""Time columns whose name gives no time system: it is inferred from their values."""

JD_RANGE = (2_400_000.0, 2_500_000.0)
"""Values of a ``time`` column read as Julian dates: 1858-11-16 to 2132-08-31."""

MJD_RANGE = (40_000.0, 70_000.0)
"""Values of a ``time`` column read as modified Julian dates: 1968-05-24 to 2050-08-22."""

_REDUCED = re.compile(
    r"(?P<system>bjd|hjd|jd|mjd|rjd|btjd|bkjd)"
    r"(?:[ _-]?(?:tdb|utc|tt))?"
    r"(?:\s*[-_ ]\s*(?P<offset>\d{4,7}(?:\.\d*)?))?"
)


@dataclass(frozen=True)
class TimeSystem:
    """The time system of a column, as its name gives it.

    Attributes
    ----------
    zero_point
        The Julian date at which the column's times are 0; None when the name does not say
        (``time``, ``t``).
    reduced
        Whether the name writes its zero point out (``HJD-2450000``): then the values cannot be
        full Julian dates.
    """

    zero_point: float | None
    reduced: bool = False

    @property
    def time_format(self) -> str | None:
        """The astropy format of the values as written, None when astropy has none for them.

        Examples
        --------
        >>> time_system("MJD").time_format, time_system("JD-2400000").time_format
        ('mjd', None)
        """
        if self.zero_point is None:
            return None
        return FORMAT_OF_ZERO_POINT.get(self.zero_point)


def time_system(name: str) -> TimeSystem | None:
    """The time system a column name gives, or None when it is not the name of a time column.

    Parameters
    ----------
    name
        A column name, any case: see the table of this module.

    Returns
    -------
    TimeSystem or None

    Examples
    --------
    >>> time_system("hjd_2450000")
    TimeSystem(zero_point=2450000.0, reduced=True)
    >>> time_system("MJD-50000").zero_point
    2450000.5
    >>> time_system("time")
    TimeSystem(zero_point=None, reduced=False)
    """
    lower = name.strip().lower()
    if lower in UNNAMED_TIME_COLUMNS:
        return TimeSystem(zero_point=None)
    match = _REDUCED.fullmatch(lower)
    if match is None:
        return None
    zero_point = ZERO_POINT_OF_SYSTEM[match["system"]]
    if match["offset"] is None:
        return TimeSystem(zero_point=zero_point)
    if match["system"] not in ("jd", "hjd", "bjd", "mjd"):
        return None
    return TimeSystem(zero_point=zero_point + float(match["offset"]), reduced=True)


def time_format_of(values: np.ndarray) -> str | None:
    """The format of the values of a ``time`` column, when they show it.

    ``"jd"`` when every finite value lies in :data:`JD_RANGE`, ``"mjd"`` when every one lies in
    :data:`MJD_RANGE`, else None (mission times, days from any start: left as they are).

    Examples
    --------
    >>> time_format_of(np.array([2455000.5, 2455001.5, np.nan]))
    'jd'
    >>> time_format_of(np.array([58000.1, 58001.2])), time_format_of(np.array([1.0, 2.0]))
    ('mjd', None)
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    for time_format, (low, high) in (("jd", JD_RANGE), ("mjd", MJD_RANGE)):
        if np.all((finite >= low) & (finite <= high)):
            return time_format
    return None


def to_days(
    values: np.ndarray, column: str, source: str | PathLike[str]
) -> tuple[np.ndarray, str | None]:
    """Times in days in a system that astropy knows, and its format.

    Parameters
    ----------
    values
        The values of a time column, in days.
    column
        Its name, which gives its time system (:func:`time_system`; a name that gives none is
        taken for ``time``).
    source
        The file, named in errors.

    Returns
    -------
    tuple
        The times (the values themselves, or with the zero point added when astropy has no
        format for it: then Julian dates) and their format (None when unknown).

    Raises
    ------
    InvalidLightCurve
        If a reduced column (``HJD-2450000``) holds full Julian dates.

    Examples
    --------
    >>> to_days(np.array([5000.25]), "HJD-2450000", "a.csv")
    (array([2455000.25]), 'jd')
    >>> to_days(np.array([1500.0]), "BTJD", "a.csv")
    (array([1500.]), 'btjd')
    >>> to_days(np.array([58000.5]), "time", "a.csv")
    (array([58000.5]), 'mjd')
    """
    system = time_system(column) or TimeSystem(zero_point=None)
    if system.zero_point is None:
        return values, time_format_of(values)
    if system.reduced:
        full = np.flatnonzero(values >= JD_RANGE[0])
        if full.size:
            raise InvalidLightCurve(
                source,
                f"column {column!r} holds full Julian dates ({values[full[0]]:.6f} in row "
                f"{full[0] + 1}), yet its name says they count days from JD "
                f"{system.zero_point:.1f}; name the column JD, HJD or BJD",
            )
    if system.time_format is not None:
        return values, system.time_format
    return values + system.zero_point, "jd"
