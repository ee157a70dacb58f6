"""The survey catalogue: lookups, coordinates, cone searches, column filters."""

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.catalog import (
    _KEPT_ARRAYS,
    Catalog,
    InvalidCoordinates,
    UnknownObject,
    column_label,
    parse_coordinates,
)
from astrolens.errors import AstrolensError
from astrolens.simulate import SurveyConfig, generate_catalog, write_survey


@pytest.fixture(scope="module")
def table():
    return generate_catalog(SurveyConfig.named("tiny", seed=11))


@pytest.fixture(scope="module")
def catalog(table):
    return Catalog(table, name="tiny survey")


def test_row_and_rows_by_object_id(catalog, table):
    object_id = table["object_id"][17]
    assert catalog.row(object_id).equals(table.iloc[17])
    picked = [table["object_id"][5], table["object_id"][2]]
    assert catalog.rows(picked)["object_id"].tolist() == picked
    assert object_id in catalog and "KIC 1" not in catalog and len(catalog) == 320


def _same(left, right):
    """Equal values of the same Python type, a missing value equal to the same missing value."""
    if type(left) is not type(right):
        return False
    return bool(pd.isna(left) and pd.isna(right)) or bool(left == right)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=12))
def test_records_are_the_rows_pandas_gives_of_every_kind_of_column(row_numbers):
    table = pd.DataFrame(
        {
            "object_id": [f"o{i}" for i in range(6)],
            "mag": [12.5, np.nan, 13.0, 14.25, -1.0, 0.1],
            "single": np.array([0.1, 2, 3, np.nan, 5, 6], dtype=np.float32),
            "count": np.arange(6, dtype=np.int32),
            "flag": [True, False] * 3,
            "note": ["a", None, "c", np.nan, "e", "f"],
            "class": pd.Categorical(["EA", "RRab", "EA", "EA", "ROT", "ROT"]),
            "date": pd.to_datetime(["2020-01-01"] * 5 + [None]),
            "nullable": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "text": pd.array(["x", None, "z", "w", "v", "u"], dtype="string"),
        }
    )
    catalog = Catalog(table)
    expected = table.take(row_numbers).to_numpy(dtype=object).tolist()
    got = catalog.records(row_numbers)
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert len(mine) == table.shape[1]
        assert all(_same(a, b) for a, b in zip(mine, theirs, strict=True)), (mine, theirs)


def test_unknown_object_is_a_key_error_with_a_clear_message(catalog):
    with pytest.raises(UnknownObject) as caught:
        catalog.row("KIC 1")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, AstrolensError)
    assert str(caught.value) == "KIC 1: not in the tiny survey (1 unknown id(s))"
    assert catalog.locate(["KIC 1", catalog.object_ids[3]]).tolist() == [-1, 3]


def test_repeated_or_missing_object_ids_are_refused():
    with pytest.raises(ValueError, match="repeat: \\['a'\\]"):
        Catalog(pd.DataFrame({"object_id": ["a", "b", "a"]}))
    with pytest.raises(ValueError, match="no 'object_id' column"):
        Catalog(pd.DataFrame({"name": ["a"]}))


def test_from_file_reads_a_written_survey(tmp_path):
    config = SurveyConfig(name="mini", n_objects=30)
    catalog = Catalog.from_file(write_survey(config, tmp_path, progress=False))
    assert catalog.table.equals(generate_catalog(config))


@pytest.mark.parametrize(
    "text",
    [
        "19h22m40.1s +44d30m00s",
        "19:22:40.1 +44:30:00",
        "19 22 40.1 +44 30 00",
        "290d40m01.5s +44d30m00s",
        "290.6670833 44.5",
        ("19:22:40.1", "+44:30:00"),
        (290.6670833, 44.5),
        SkyCoord(290.6670833 * u.deg, 44.5 * u.deg),
    ],
)
def test_coordinates_in_degrees_and_sexagesimal(text):
    position = parse_coordinates(text)
    assert position.ra.deg == pytest.approx(290.6670833, abs=1e-6)
    assert position.dec.deg == pytest.approx(44.5, abs=1e-9)


@pytest.mark.parametrize(
    "text", ["nonsense", "19:22:40.1", "25h00m00s +10d", "10:00:00 +95:00:00", (1.0, np.nan), ""]
)
def test_malformed_coordinates_raise_a_value_error(text):
    with pytest.raises(InvalidCoordinates) as caught:
        parse_coordinates(text)
    assert isinstance(caught.value, ValueError)
    assert repr(text) in str(caught.value)


def test_cone_search_finds_the_nearest_object_within_the_radius(catalog, table):
    row = table.iloc[42]
    offset = SkyCoord(row["ra"] * u.deg, row["dec"] * u.deg).directional_offset_by(
        30 * u.deg, 1.5 * u.arcsec
    )
    for coordinates in (
        offset,
        offset.to_string("hmsdms", precision=4),
        (offset.ra.deg, offset.dec.deg),
    ):
        match = catalog.cone_search(coordinates, radius_arcsec=3.0)
        assert match.object_id == row["object_id"]
        assert match.separation_arcsec == pytest.approx(1.5, abs=0.01)
        assert match.row.equals(row)
    with pytest.raises(UnknownObject, match=r"within 1\.0 arcsec"):
        catalog.cone_search(offset, radius_arcsec=1.0)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), radius=st.floats(1.0, 7200.0))
def test_vectorised_match_equals_astropy(catalog, table, seed, radius):
    rng = np.random.default_rng(seed)
    picked = rng.integers(len(table), size=30)
    ra = table["ra"].to_numpy()[picked] + rng.normal(0, radius / 3600, 30)
    dec = np.clip(table["dec"].to_numpy()[picked] + rng.normal(0, radius / 3600, 30), -90, 90)
    rows, separations = catalog.match(ra, dec, radius)
    stars = SkyCoord(table["ra"].to_numpy() * u.deg, table["dec"].to_numpy() * u.deg)
    nearest, separation, _ = SkyCoord(ra * u.deg, dec * u.deg).match_to_catalog_sky(stars)
    inside = separation.arcsec <= radius
    # Exactly at the radius the two may round differently; stay clear of it.
    clear = np.abs(separation.arcsec - radius) > 1e-6
    np.testing.assert_array_equal((rows >= 0)[clear], inside[clear])
    np.testing.assert_array_equal(rows[inside & clear], nearest[inside & clear])
    np.testing.assert_allclose(separations[inside], separation.arcsec[inside], atol=1e-6)
    assert np.all(np.isinf(separations[rows < 0]))


def test_match_a_million_row_catalogue_against_itself():
    rng = np.random.default_rng(0)
    n = 1_000_000
    big = Catalog(
        pd.DataFrame(
            {
                "object_id": np.arange(n).astype(str),
                "ra": rng.uniform(0, 360, n),
                "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n))),
            }
        )
    )
    rows, _ = big.match(big.table["ra"][:100_000], big.table["dec"][:100_000], 0.1)
    assert np.array_equal(rows, np.arange(100_000))


def test_mask_combines_class_mission_and_ranges(catalog, table):
    mask = catalog.mask(
        classes=["RRab", "EA"],
        missions="TESS",
        ranges={"period_days": (0.4, 5.0), "mag": (None, 14)},
    )
    expected = (
        table["class"].isin(["RRab", "EA"])
        & (table["mission"] == "TESS")
        & table["period_days"].between(0.4, 5.0)
        & (table["mag"] <= 14)
    )
    assert mask.tolist() == expected.tolist() and 0 < mask.sum() < 40
    assert catalog.mask().all()


@settings(max_examples=40, deadline=None)
@given(
    classes=st.none() | st.lists(st.sampled_from(["RRab", "EA", "ROT", "MIRA"]), min_size=1),
    mission=st.sampled_from([None, "Kepler", "TESS"]),
    period=st.none() | st.tuples(st.none() | st.floats(0.1, 5.0), st.none() | st.floats(1, 90)),
    mag=st.none() | st.tuples(st.floats(8.0, 14.0), st.floats(10.0, 17.0)),
    rows=st.lists(st.integers(0, 319), max_size=30),
)
def test_a_selection_counts_and_tests_rows_as_the_mask_has_them(
    catalog, classes, mission, period, mag, rows
):
    ranges = {}
    if period is not None:
        ranges["period_days"] = period
    if mag is not None:
        ranges["mag"] = mag
    selection = catalog.selection(classes=classes, missions=mission, ranges=ranges)
    mask = catalog.mask(classes=classes, missions=mission, ranges=ranges)
    assert selection.count() == int(mask.sum()) <= selection.upper_bound
    assert selection.rows().tolist() == np.flatnonzero(mask).tolist()
    assert selection.passes(np.asarray(rows, dtype=np.int64)).tolist() == mask[rows].tolist()
    assert selection.mask().tolist() == mask.tolist()
    if len(ranges) + (classes is not None) + (mission is not None) == 1:
        assert selection.estimate == selection.upper_bound == selection.count()


def test_a_selection_mask_is_read_only_and_the_public_mask_a_copy(catalog):
    selection = catalog.selection(classes="RRab")
    with pytest.raises(ValueError, match="read-only"):
        selection.mask()[0] = True
    mask = catalog.mask(classes="RRab")
    mask[:] = True
    assert catalog.mask(classes="RRab").sum() < len(catalog)


def test_a_class_or_mission_no_object_has_is_refused_naming_the_values(catalog):
    with pytest.raises(ValueError, match=r"class 'NOPE': no object .* class values: .*RRab"):
        catalog.mask(classes=["RRab", "NOPE"])
    with pytest.raises(ValueError, match=r"mission 'XX'.*Kepler"):
        catalog.selection(missions="XX")


def test_an_id_is_matched_exactly_nul_characters_included(catalog, table):
    object_id = table["object_id"][3]
    assert catalog.locate([object_id, object_id + "\x00", object_id + " "]).tolist() == [3, -1, -1]
    with pytest.raises(UnknownObject):
        catalog.row(object_id + "\x00")


@pytest.mark.parametrize("position", [(-360.0, 10.0), (400.0, 0.0), (10.0, 91.0), "-10 20"])
def test_coordinates_outside_the_sky_are_refused_not_wrapped(position):
    with pytest.raises(InvalidCoordinates, match="outside the sky"):
        parse_coordinates(position)


def test_mask_refuses_unknown_or_text_columns(catalog):
    with pytest.raises(ValueError, match="no column 'colour'"):
        catalog.mask(ranges={"colour": (0, 1)})
    with pytest.raises(ValueError, match="'subclass', which is not numeric"):
        catalog.mask(ranges={"subclass": (0, 1)})


def test_physical_columns_and_labels(catalog):
    assert "period_days" in catalog.physical_columns and "nu_max_uhz" in catalog.physical_columns
    assert not {"ra", "dec", "mag", "seed", "target_id"} & set(catalog.physical_columns)
    assert column_label("period_days") == "period_days [d]"
    assert column_label("flare_rate_per_day") == "flare_rate_per_day [1/d]"
    assert column_label("duration_hours") == "duration_hours [h]"
    assert column_label("amplitude_mag") == "amplitude_mag [mag]"


def test_kept_masks_stay_what_pandas_says_while_many_filters_come_and_go(catalog, table):
    """Class, mission and fixed-range masks are kept (the same read-only array when asked
    again), at most a bounded number of them; a range on a moving column (a magnitude window
    around each query's) is not kept; every answer equals pandas' on the table."""
    filters = [
        {"classes": "RRab"},
        {"missions": "TESS", "ranges": {"period_days": (0.5, 20.0)}},
        {"ranges": {"mag": (10.0, 13.0)}},
        {"classes": ["EA", "EW"], "ranges": {"mag": (None, 12.5)}},
    ] + [{"ranges": {"period_days": (0.1 * number, None)}} for number in range(40)]
    rng = np.random.default_rng(3)
    for number in rng.integers(0, len(filters), 300):
        chosen = filters[number]
        expected = np.ones(len(table), dtype=bool)
        if "classes" in chosen:
            expected &= table["class"].isin(np.atleast_1d(chosen["classes"])).to_numpy()
        if "missions" in chosen:
            expected &= (table["mission"] == chosen["missions"]).to_numpy()
        for column, (low, high) in chosen.get("ranges", {}).items():
            values = table[column]
            expected &= values.between(-np.inf if low is None else low, high or np.inf).to_numpy()
        mask = catalog.selection(**chosen).mask()
        assert mask.tolist() == expected.tolist() and not mask.flags.writeable
        assert catalog.selection(**chosen).mask() is mask  # kept
        rows = catalog.selection(**chosen).rows()
        assert rows.tolist() == np.flatnonzero(expected).tolist() and not rows.flags.writeable
        if catalog.selection(**chosen).upper_bound <= len(table) // 8:
            assert catalog.selection(**chosen).rows() is rows
    assert len(catalog._kept) <= _KEPT_ARRAYS
    moving = catalog.selection(ranges={"mag": (10.0, 13.0)}, moving=["mag"])
    assert not moving.kept and catalog.selection(ranges={"mag": (10.0, 13.0)}).kept
    assert (
        moving.mask() is not catalog.selection(ranges={"mag": (10.0, 13.0)}, moving=["mag"]).mask()
    )
    assert moving.mask().tolist() == catalog.selection(ranges={"mag": (10.0, 13.0)}).mask().tolist()


def test_ranges_that_pass_the_same_rows_share_one_kept_mask(catalog, table):
    periods = np.sort(table["period_days"].dropna().to_numpy())
    low, high = periods[10], periods[100]
    just_below = np.nextafter(low, -np.inf)  # no period between it and low
    first = catalog.selection(ranges={"period_days": (low, high)}).mask()
    assert catalog.selection(ranges={"period_days": (just_below, high)}).mask() is first
    assert first.sum() == 91
