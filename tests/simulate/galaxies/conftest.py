"""Fixtures of the galaxy survey: the tiny catalogue and clean single rows to render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from astrolens.simulate.galaxies import GalaxySurveyConfig, generate_galaxy_catalog


@pytest.fixture(scope="session")
def tiny_galaxies() -> pd.DataFrame:
    """The named ``tiny`` galaxy survey (320 objects, 29-30 per class)."""
    return generate_galaxy_catalog(GalaxySurveyConfig.named("tiny", seed=11))


@pytest.fixture(scope="session")
def clean_row(tiny_galaxies: pd.DataFrame) -> Callable[..., pd.Series]:
    """``clean_row(class_name, **changes)``: the first row of a class, alone in its field."""

    def row(class_name: str, **changes: Any) -> pd.Series:
        chosen = tiny_galaxies[tiny_galaxies["class"] == class_name].iloc[0].copy()
        chosen["n_neighbours"] = 0
        chosen["n_field_stars"] = 0
        for column, value in changes.items():
            chosen[column] = value
        return chosen

    return row
