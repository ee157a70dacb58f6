"""Search results as JSON: strict JSON (no NaN), the same numbers as the result."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.catalog import Catalog
from astrolens.index import build_index
from astrolens.search import SimilaritySearch
from astrolens.simulate import SurveyConfig, generate_catalog
from astrolens.web.results import json_value, records, search_payload


@pytest.fixture(scope="module")
def search():
    table = generate_catalog(SurveyConfig(name="results", n_objects=80, seed=9))
    vectors = np.random.default_rng(4).normal(size=(80, 6)).astype(np.float32)
    index = build_index(vectors, table["object_id"], run="t", progress=False)
    return SimilaritySearch(index, Catalog(table))


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True, width=64))
def test_json_value_keeps_finite_numbers_only(number):
    with np.errstate(over="ignore"):
        narrow = np.float32(number)
    for value in (number, np.float64(number), narrow):
        converted = json_value(value)
        if math.isfinite(float(value)):
            assert converted == float(value) and type(converted) is float
        else:
            assert converted is None


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=5), st.floats(allow_infinity=True), st.integers(-9, 9)),
        max_size=6,
    )
)
def test_records_are_strict_json(rows):
    frame = pd.DataFrame(rows, columns=["name", "value", "count"])
    out = records(list(frame.columns), frame.to_numpy(dtype=object).tolist())
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text) == out
    assert [row["count"] for row in out] == frame["count"].tolist()


@pytest.mark.parametrize("k", [1, 5, 40])
def test_search_payload_is_the_result(search, k):
    result = search.by_object(str(search.index.ids[7]), k)
    payload = json.loads(json.dumps(search_payload(result, histogram_bins=7), allow_nan=False))
    assert payload["count"] == k == len(payload["matches"])
    assert [m["object_id"] for m in payload["matches"]] == result.matches["object_id"].tolist()
    assert [m["distance"] for m in payload["matches"]] == pytest.approx(result.matches["distance"])
    summary = result.parameters()
    for item in payload["parameters"]:
        assert len(item["histogram"]["counts"]) == 7
        assert sum(item["histogram"]["counts"]) == item["n"] == summary.at[item["column"], "n"]
        assert item["query"] == json_value(result.query.row[item["column"]])
