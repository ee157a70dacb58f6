"""How large a light curve astrolens takes: the bounds checked before any work is done for one.

Light curves arrive from anyone (uploads to the web server), so every size that a file declares or
implies is checked against these limits *before* memory is allocated or time spent for it, and a
light curve beyond one is refused with :class:`~astrolens.errors.InvalidLightCurve` naming the
limit and the value found. The limits are generous for real data. What they bound, measured on a
2-core Xeon: reading at most :data:`MAX_FILE_BYTES` of a file; the wavelet transform, about
1 GB and 3 s at :data:`MAX_GRID_CELLS`; parsing a text table, at worst about 100 bytes per
character of it (:data:`MAX_ROW_WIDTH_RATIO`; real tables take about 25).

To change a limit, set the attribute of this module (``limits.MAX_GRID_CELLS = ...``): the
readers and the pipeline look the values up here when they check.

Examples
--------
>>> round(MAX_GRID_CELLS * 29.4244 / (24 * 60) / 365.25, 1)   # years at Kepler long cadence
55.9
>>> try:
...     check("big.csv", "MAX_CADENCES", 3_000_000, "the number of rows")
... except InvalidLightCurve as error:
...     print(error.reason)
the number of rows: 3,000,000, more than the limit MAX_CADENCES = 2,000,000 \
(astrolens.sources.limits)
"""

from __future__ import annotations

import numbers
from decimal import Decimal
from os import PathLike

from astrolens.errors import InvalidLightCurve

MAX_FILE_BYTES = 256 * 2**20
"""Bytes of a light-curve file that are read, after decompression (256 MiB).

A text table larger than this is refused unread; a FITS file is read (and a gzipped one
decompressed, as a stream) no further than this, so a decompression bomb stops here. Mission
light-curve files are far smaller: 0.4-2 MB for a Kepler quarter, a K2 campaign or a TESS 2-min
sector, about 12 MB for a TESS 20-s sector; a table of :data:`MAX_CADENCES` rows of 128 bytes
fits.
"""

MAX_FITS_HEADER_BYTES = 1000 * 2880
"""Bytes of one FITS header: 1,000 blocks of 2,880 bytes, 36,000 cards.

Kepler, K2 and TESS headers are 2 to 10 blocks. A header that goes on for longer (a corrupt
file without an ``END`` card) is refused before its cards fill the memory.
"""

MAX_CADENCES = 2_000_000
"""Rows of a light-curve table (cadences) that are read.

17 TESS 20-s sectors, or 30 times Kepler's long-cadence data of a star (about 65,000 cadences
over four years). Checked on the row count a FITS header declares and on the lines of a text
table, before the rows are parsed.
"""

MAX_ROW_WIDTH_RATIO = 4.0
"""How many times longer than its mean row the longest row of a text table may be.

The parser gives each text column the width of its longest value, for every row: one long row
among many short ones would take the memory of a table of long rows. Rows of a light-curve
table are of about the same length; a table of up to 1 MiB (rows times longest row) is not
checked. Together with the converting of the time, flux, uncertainty and quality columns only,
this bounds what parsing a text table can take to about 100 bytes per character of it at worst:
1.5 GiB for a crafted table of 15 MiB (2 million short rows, a few long ones in every column),
where a real table of that size takes 0.4 GiB.
"""

MAX_GRID_CELLS = 1_000_000
"""Cells of the uniform time grid that a light curve is resampled onto, and so samples of its
wavelet transform, which takes about 1 kB per cell (1 GB and 3 s at the limit, 2-core Xeon).

This, not the time span, bounds the memory: the span allowed is ``MAX_GRID_CELLS`` times the
grid cadence, 55.9 years (20,400 d) at the default Kepler long-cadence grid of 29.4 min, so a
ground-based survey of 30 years (11,000 d, 536,000 cells) passes, and a coarser grid
(``PreprocessConfig.grid_cadence_days``) allows a longer one. A single stray time (a corrupt
value, a time in seconds rather than days) stretches the span beyond it and is refused.
"""

MAX_ABS_TIME_DAYS = 1e8
"""Largest time value, in days from the zero of the file's time system, in either direction.

Julian dates are about 2.5e6 d, mission times (BKJD, BTJD, MJD) smaller still; larger values
are corrupt or not in days. Below it the grid cells, counted from time zero, are exact in
float64 arithmetic.
"""

MAX_RELATIVE_FLUX = 1e7
"""Largest relative flux ``|flux / median - 1|`` that the wavelet transform takes (17.5 mag
brighter than the median).

The transform works in single precision; below this bound the fourth powers of its coefficients
summed over :data:`MAX_GRID_CELLS` samples stay finite. Larger values are corrupt (an isolated
one is clipped as an outlier before it gets there); a light curve with one is refused rather
than given an image of NaN.
"""


def _shown(value: float) -> str:
    """A number for a message: a whole number with thousands separators (in powers of ten when
    huge), any other in six significant digits."""
    if isinstance(value, numbers.Integral):
        whole = int(value)
        return f"{whole:,}" if abs(whole) < 10**18 else f"{Decimal(whole):.3e}"
    number = float(value)
    if number.is_integer() and abs(number) < 1e18:
        return f"{int(number):,}"
    return f"{number:.6g}"


def check(
    source: str | PathLike[str], limit: str, value: float, quantity: str, advice: str = ""
) -> None:
    """Refuse a light curve when ``value`` is beyond one of the limits of this module.

    Parameters
    ----------
    source
        The light curve's file (or object id), named in the error.
    limit
        The name of the limit (``"MAX_CADENCES"``); its current value is looked up here.
    value
        What was found; NaN counts as beyond every limit.
    quantity
        What ``value`` is, in words and with its unit (``"the time span, in grid cells"``).
    advice
        What the user can do, appended to the reason.

    Raises
    ------
    InvalidLightCurve
        If ``value`` is more than the limit, naming both.

    Examples
    --------
    >>> check("lc.fits", "MAX_ABS_TIME_DAYS", 2.46e6, "the largest |time| in days")
    """
    bound = globals()[limit]
    if value <= bound:
        return
    reason = (
        f"{quantity}: {_shown(value)}, more than the limit {limit} = {_shown(bound)} "
        "(astrolens.sources.limits)"
    )
    raise InvalidLightCurve(source, f"{reason}; {advice}" if advice else reason)
