"""The limits on light-curve inputs: named in every refusal, changeable in one place."""

from __future__ import annotations

import math
import re

import pytest

from astrolens.errors import InvalidLightCurve
from astrolens.preprocess import KEPLER_LONG_CADENCE_DAYS
from astrolens.sources import limits


def test_a_value_at_the_limit_passes_and_one_beyond_is_refused_naming_both():
    limits.check("lc.csv", "MAX_CADENCES", limits.MAX_CADENCES, "rows")
    with pytest.raises(InvalidLightCurve) as error:
        limits.check("lc.csv", "MAX_CADENCES", 2_000_001, "rows", "split it")
    assert error.value.source == "lc.csv"
    assert error.value.reason == (
        "rows: 2,000,001, more than the limit MAX_CADENCES = 2,000,000 "
        "(astrolens.sources.limits); split it"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [(math.nan, "nan"), (math.inf, "inf"), (1e300, "1e+300"), (10**400, "1.000e+400")],
    ids=["nan", "inf", "1e300", "huge integer"],
)
def test_values_that_are_not_plain_numbers_are_beyond_every_limit(value, shown):
    with pytest.raises(InvalidLightCurve, match=re.escape(f"largest |time|: {shown}, more than")):
        limits.check("lc.csv", "MAX_ABS_TIME_DAYS", value, "largest |time|")


def test_a_changed_limit_is_the_one_checked(monkeypatch):
    monkeypatch.setattr(limits, "MAX_CADENCES", 10)
    with pytest.raises(InvalidLightCurve, match="MAX_CADENCES = 10 "):
        limits.check("lc.csv", "MAX_CADENCES", 11, "rows")


def test_a_thirty_year_survey_fits_the_default_grid():
    thirty_years = 30 * 365.25 / KEPLER_LONG_CADENCE_DAYS
    assert thirty_years < limits.MAX_GRID_CELLS
    assert limits.MAX_ABS_TIME_DAYS > 2_460_000  # Julian dates of today
