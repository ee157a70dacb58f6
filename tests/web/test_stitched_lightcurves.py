"""A light curve of several Kepler quarters stitched together (as ``lightkurve``'s ``stitch``
makes one) is searched as its quarters together, in a notebook and over HTTP: the survey's
light curves are single quarters and sectors (:meth:`LightCurveModality.pieces`)."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from astropy.time import TimeDeltaMissingUnitWarning

from astrolens.sources import example_files, read_arrays


@pytest.fixture(scope="module")
def stitched(tmp_path_factory):
    lightkurve = pytest.importorskip("lightkurve")
    quarters = [lightkurve.read(path) for path in example_files("Kepler")]
    path = tmp_path_factory.mktemp("stitched") / "kplr010002792_q2_q5_stitched.fits"
    with warnings.catch_warnings():  # lightkurve's own, writing the time column
        warnings.simplefilter("ignore", TimeDeltaMissingUnitWarning)
        lightkurve.LightCurveCollection(quarters).stitch().to_fits(path)
    return path


def test_stitched_quarters_are_searched_as_the_quarters_together(oracle, stitched):
    result = oracle.by_lightcurve(stitched, k=5)
    assert result.query.kind == "lightcurve" and len(result) == 5
    assert result.query.label == "KIC 10002792, as its 2 pieces (centroid)"
    encoder = oracle.encoder
    quarters = [encoder.embed_item(encoder.load(path)) for path in example_files("Kepler")]
    np.testing.assert_allclose(result.query.vectors[0], np.mean(quarters, axis=0), atol=1e-4)
    whole = encoder.embed_item(encoder.load(stitched))  # what the search did before
    assert np.linalg.norm(whole - result.query.vectors[0]) > 0.5
    for reason in result.domain.reasons:  # the doubts about each quarter name it
        assert reason.startswith(("KIC 10002792, 169.8-258.5: ", "KIC 10002792, 443.5-538.2: "))


def test_a_few_days_before_a_long_gap_are_left_out(oracle):
    first, second = (read_arrays(path) for path in example_files("Kepler"))
    days = first.time < first.time[0] + 10.0  # ten days of Q2, then Q5 half a year later
    names = ("time", "flux", "flux_err", "quality")
    joined = dataclasses.replace(
        first,
        **{
            name: np.concatenate([getattr(first, name)[days], getattr(second, name)])
            for name in names
        },
    )
    result = oracle.by_lightcurve(joined, k=5)
    assert result.query.label == "KIC 10002792, 443.5-538.2"  # the quarter it searched
    encoder = oracle.encoder
    np.testing.assert_allclose(
        result.query.vectors[0], encoder.embed_item(encoder.load(second)), atol=1e-5
    )


def test_stitched_quarters_among_several_examples_count_as_their_quarters(oracle, stitched):
    k2 = example_files("K2")[0]
    result = oracle.by_inputs([stitched, k2], k=5)
    assert result.query.label == "2 light curves (centroid)"
    encoder = oracle.encoder
    each = [encoder.embed_item(encoder.load(path)) for path in [*example_files("Kepler"), k2]]
    np.testing.assert_allclose(result.query.vectors[0], np.mean(each, axis=0), atol=1e-4)


def test_one_quarter_is_searched_whole(oracle):
    path = example_files("Kepler")[0]
    result = oracle.by_lightcurve(path, k=5)
    assert result.query.label == "KIC 10002792"
    encoder = oracle.encoder
    np.testing.assert_array_equal(result.query.vectors[0], encoder.embed_item(encoder.load(path)))


def test_the_api_says_a_stitched_light_curve_was_searched_as_its_quarters(server, stitched, oracle):
    with server.client() as client:
        answer = client.post(
            "/api/search/upload",
            params={"k": 5, "thumbnail": "true"},
            files={"file": (stitched.name, stitched.read_bytes())},
        )
    assert answer.status_code == 200, answer.text
    query = answer.json()["query"]
    assert query["label"] == "KIC 10002792, as its 2 pieces (centroid)"
    assert len(answer.json()["matches"]) == 5
    # drawn folded at the period the matches were ranked by: the pieces' own, not the whole's
    ranked_by = oracle.by_lightcurve(stitched, k=5).query.period_days
    assert query["period"] == {"days": pytest.approx(ranked_by), "source": "Lomb-Scargle"}
    assert ranked_by != pytest.approx(oracle.encoder.own_period(oracle.encoder.load(stitched)))
