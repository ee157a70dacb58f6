"""Fixtures for the survey simulator: the tiny survey, and bright single-class samples for physics
checks (high signal-to-noise, one observing mode)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from astrolens.simulate import OBSERVING_MODES, SurveyConfig, generate_catalog


@pytest.fixture(scope="session")
def tiny_config() -> SurveyConfig:
    """The named ``tiny`` survey (320 objects, 20 per class)."""
    return SurveyConfig.named("tiny", seed=11)


@pytest.fixture(scope="session")
def tiny_catalog(tiny_config: SurveyConfig) -> pd.DataFrame:
    """The catalogue of the tiny survey, generated in memory."""
    return generate_catalog(tiny_config)


@pytest.fixture(scope="session")
def bright_sample() -> Callable[[str, str, int], pd.DataFrame]:
    """``sample(class_name, mode_key, n)``: ``n`` objects of one class and mode, made bright.

    The magnitude is set to the bright end of the mode's range so that the noise is small.
    """
    cache: dict[tuple[str, str, int], pd.DataFrame] = {}

    def sample(class_name: str, mode_key: str, n: int = 12) -> pd.DataFrame:
        key = (class_name, mode_key, n)
        if key not in cache:
            config = SurveyConfig(
                name=f"{class_name}-{mode_key}",
                n_objects=n,
                seed=3,
                class_weights={class_name: 1.0},
                mission_mix={mode_key: 1.0},
            )
            catalog = generate_catalog(config)
            catalog["mag"] = OBSERVING_MODES[mode_key].magnitude_range[0]
            cache[key] = catalog
        return cache[key].copy()

    return sample
