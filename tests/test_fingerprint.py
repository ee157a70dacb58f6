"""A catalogue's identity survives another CPU's rounding and catches every real change."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from astrolens.fingerprint import CatalogFingerprint, catalog_fingerprint
from astrolens.simulate import SurveyConfig, generate_catalog

AVX2_ENVIRONMENT = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Haswell",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
}
"""What .ci/run's second pass sets: a machine with AVX-512 computes as one with AVX2 only."""


@pytest.fixture(scope="module")
def tiny_catalog():
    return generate_catalog(SurveyConfig.named("tiny"))


def ulp_noise(values, seed, steps=4):
    """Every finite value moved by up to ``steps`` units in the last place, up or down."""
    rng = np.random.default_rng(seed)
    moved = values.copy()
    for _ in range(steps):
        direction = np.where(rng.random(values.size) < 0.5, -np.inf, np.inf)
        moved = np.where(rng.random(values.size) < 0.5, np.nextafter(moved, direction), moved)
    return np.where(np.isfinite(values), moved, values)


def with_every_float_perturbed(catalog, seed=0):
    noisy = catalog.copy()
    for number, name in enumerate(catalog.select_dtypes("float").columns):
        noisy[name] = ulp_noise(catalog[name].to_numpy(), seed + number)
    return noisy


def test_every_float_a_few_ulp_away_is_the_same_catalogue(tiny_catalog):
    noisy = with_every_float_perturbed(tiny_catalog)
    assert not noisy.equals(tiny_catalog)
    mine, theirs = catalog_fingerprint(tiny_catalog), catalog_fingerprint(noisy)
    assert mine.key != theirs.key  # caches name the exact data of one machine
    assert mine.matches(theirs) and theirs.matches(mine)


def test_a_relative_change_of_1e_6_in_one_period_is_detected(tiny_catalog):
    for row in (0, 17, len(tiny_catalog) - 1):
        changed = tiny_catalog.copy()
        changed.loc[row, "period_days"] *= 1 + 1e-6
        difference = catalog_fingerprint(tiny_catalog).difference(catalog_fingerprint(changed))
        assert difference is not None and difference.startswith("column period_days differs")


@pytest.mark.parametrize("rows", [20_000, 1_000_000])
def test_the_tolerance_holds_at_survey_sizes(rows):
    rng = np.random.default_rng(rows)
    periods = 10 ** rng.uniform(-1.5, 3, rows)  # 45 min to 1,000 days
    table = pd.DataFrame({"period_days": periods, "phase": rng.uniform(-np.pi, np.pi, rows)})
    fingerprint = catalog_fingerprint(table)
    assert fingerprint.matches(catalog_fingerprint(with_every_float_perturbed(table)))
    smallest = int(np.argmin(periods))
    for name, row in (("period_days", smallest), ("phase", rows // 2)):
        changed = table.copy()
        changed.loc[row, name] *= 1 + 1e-6
        assert not fingerprint.matches(catalog_fingerprint(changed)), (name, row)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.assign(seed=t["seed"].where(t.index != 3, t["seed"] + 1)),
        lambda t: t.assign(**{"class": t["class"].where(t.index != 5, "EW")}),
        lambda t: t.assign(object_id=t["object_id"].where(t.index != 7, "KIC 1")),
        lambda t: t.drop(index=11),
        lambda t: t.assign(amplitude2_mag=t["amplitude2_mag"].fillna(0.0)),
        lambda t: t.assign(mag=t["mag"].where(t.index != 2, np.nan)),
        lambda t: t.rename(columns={"mag": "magnitude"}),
        lambda t: t.astype({"target_id": "float64"}),
    ],
    ids=["seed", "class", "object_id", "row", "nan-filled", "nan-added", "column", "dtype"],
)
def test_any_change_of_the_exact_parts_is_detected(tiny_catalog, change):
    assert not catalog_fingerprint(tiny_catalog).matches(catalog_fingerprint(change(tiny_catalog)))


def test_a_fingerprint_survives_json(tiny_catalog):
    fingerprint = catalog_fingerprint(tiny_catalog)
    again = CatalogFingerprint.from_dict(json.loads(json.dumps(fingerprint.to_dict())))
    assert again == fingerprint and again.key == fingerprint.key
    with pytest.raises(ValueError, match="not a catalogue fingerprint"):
        CatalogFingerprint.from_dict({"rows": 3})


@pytest.mark.fp_identity
@pytest.mark.slow  # draws the tiny catalogue in another process with other SIMD kernels (~8 s)
def test_the_catalogue_drawn_with_avx2_kernels_is_the_same(tiny_catalog):
    script = (
        "import json; from astrolens.simulate import SurveyConfig, generate_catalog; "
        "from astrolens.fingerprint import catalog_fingerprint; "
        "print(json.dumps(catalog_fingerprint(generate_catalog(SurveyConfig.named('tiny')))"
        ".to_dict()))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **AVX2_ENVIRONMENT},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    theirs = CatalogFingerprint.from_dict(json.loads(output))
    assert catalog_fingerprint(tiny_catalog).difference(theirs) is None
