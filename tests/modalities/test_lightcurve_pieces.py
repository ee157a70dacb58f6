"""A continuous light curve longer than the survey's is cut into pieces of the survey's span
(:meth:`astrolens.modalities.LightCurveModality.pieces`); nothing else is."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from astrolens.modalities.lightcurve import SPAN_MARGIN, LightCurveModality
from astrolens.sources import example_files, read_arrays
from astrolens.sources.arrays import Target, assemble_arrays
from astrolens.sources.examples import macho_files

QUARTER = {"median_spacing_days": 29.4 / 1440, "baseline_days": 89.0, "epochs": 4000.0}
SECTOR = {"median_spacing_days": 29.4 / 1440, "baseline_days": 26.5, "epochs": 1200.0}
OGLE_LIKE = {"median_spacing_days": 1.0, "baseline_days": 2500.0, "epochs": 800.0}
MODALITY = LightCurveModality()


def _joined(*parts):
    """Light curves as one, in time order (what lightkurve's stitch gives, without its
    normalisation)."""
    names = ("time", "flux", "flux_err", "quality")
    return dataclasses.replace(
        parts[0], **{name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
    )


def _synthetic(time, name="star"):
    rng = np.random.default_rng(5)
    flux = 1.0 + 0.01 * np.sin(2 * np.pi * time / 3.3) + rng.normal(0, 1e-3, time.size)
    return assemble_arrays(
        time=time, flux=flux, target=Target(name), flux_column="flux", source=f"{name}.csv"
    )


def test_two_stitched_kepler_quarters_are_cut_into_the_quarters():
    first, second = (read_arrays(path) for path in example_files("Kepler"))
    pieces = MODALITY.pieces(MODALITY.load(_joined(first, second)), [QUARTER, OGLE_LIKE])
    assert [piece.label for piece in pieces] == [
        "KIC 10002792, 169.8-258.5",
        "KIC 10002792, 443.5-538.2",
    ]
    for piece, quarter in zip(pieces, (first, second), strict=True):
        alone = MODALITY.load(quarter)  # each piece reads as its quarter read alone
        for mine, its in zip(MODALITY.samples(piece), MODALITY.samples(alone), strict=True):
            np.testing.assert_array_equal(mine, its)
        star = ("object_id", "mission", "ra", "dec", "mag")
        assert [piece.meta[key] for key in star] == [alone.meta[key] for key in star]


def test_a_lightkurve_light_curve_is_cut_as_arrays_are():
    lightkurve = pytest.importorskip("lightkurve")
    quarters = [lightkurve.read(path) for path in example_files("Kepler")]
    stitched = lightkurve.LightCurveCollection(quarters).stitch()
    pieces = MODALITY.pieces(MODALITY.load(stitched), [QUARTER])
    for piece, quarter in zip(pieces, quarters, strict=True):
        usable = MODALITY.samples(MODALITY.load(quarter))[0]
        assert piece.data.time.value.tolist() == [
            t for t in quarter.time.value if usable[0] <= t <= usable[-1]
        ]


@pytest.mark.parametrize(
    "samplings",
    [[QUARTER], [{**QUARTER, "baseline_days": 400.0}], [OGLE_LIKE], []],
    ids=["a-quarter-long", "survey-as-long", "no-dense-survey", "no-survey"],
)
def test_what_the_survey_knows_as_a_whole_is_not_cut(samplings):
    first = read_arrays(example_files("Kepler")[0])
    item = MODALITY.load(first)
    assert MODALITY.pieces(item, [QUARTER])[0] is item  # one quarter, as the survey's
    stitched = MODALITY.load(_joined(*(read_arrays(p) for p in example_files("Kepler"))))
    cut = MODALITY.pieces(stitched, samplings)
    assert (len(cut) == 2) == (samplings == [QUARTER])


def test_ground_based_light_curves_keep_their_years(tmp_path):
    macho = MODALITY.load(macho_files(tmp_path)[0])
    assert MODALITY.pieces(macho, [QUARTER, OGLE_LIKE]) == [macho]
    # dense but nights only: 300 nights of 8 hours at 15-minute cadence
    nights = np.arange(300.0)[:, None] + np.arange(0, 8 / 24, 15 / 1440)[None, :]
    night_only = MODALITY.load(_synthetic(nights.ravel()))
    assert MODALITY.is_dense(night_only)
    assert MODALITY.pieces(night_only, [QUARTER]) == [night_only]


def test_a_long_continuous_light_curve_is_cut_into_consecutive_pieces_of_the_survey_span():
    time = np.arange(0.0, 400.0, 29.4 / 1440)
    item = MODALITY.load(_synthetic(time))
    pieces = MODALITY.pieces(item, [QUARTER, SECTOR])
    spans = [(piece.data.time[0], piece.data.time[-1]) for piece in pieces]
    span = SPAN_MARGIN * np.percentile([89.0, 26.5], 99)  # 110.5 d: 3 pieces, then 68 d left
    assert len(pieces) == 4
    assert all(end - start <= span for start, end in spans)
    starts = [start for start, _ in spans]
    assert starts[0] == time[0] and np.diff(starts) == pytest.approx([span] * 3, abs=0.03)
    np.testing.assert_array_equal(np.concatenate([piece.data.time for piece in pieces]), time)
    # a survey of quarters only: the last 66 d are shorter than its shortest (89 d / 1.25)
    quarters = MODALITY.pieces(item, [QUARTER])
    assert len(quarters) == 3 and quarters[-1].data.time[-1] < 3 * SPAN_MARGIN * 89.0


def test_two_tess_sectors_a_year_apart_are_cut_when_the_survey_has_sectors():
    sector = np.arange(0.0, 27.0, 29.4 / 1440)
    sector = sector[np.abs(sector - 13.5) > 0.5]  # the mid-sector downlink
    item = MODALITY.load(_synthetic(np.concatenate([sector, sector + 365.0])))
    pieces = MODALITY.pieces(item, [QUARTER, SECTOR])
    assert [piece.data.time[0] for piece in pieces] == [0.0, 365.0]
    assert MODALITY.pieces(item, [QUARTER]) == [item]  # quarters only: 27 d is not like them
