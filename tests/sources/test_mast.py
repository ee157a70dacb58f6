"""Tests of astrolens.sources.mast.

The network is replaced only where lightkurve meets it: astroquery's `Observations` (search and
download) answer from a small fake archive whose files are the real MAST FITS files shipped with
altaipony, and the connection probe. The cache, the files and lightkurve's own search code are real.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import warnings
from pathlib import Path

import lightkurve as lk
import numpy as np
import pytest
import requests
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, Table
from astroquery.exceptions import ResolverError
from astroquery.mast import Observations
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.errors import ArchiveUnavailable, CacheError, InvalidLightCurve
from astrolens.sources import example_files, mast, read
from astrolens.sources.mast import MastCache, MastQuery, download, fetch, search

EXAMPLES = example_files()[0].parent
KEPLER_Q2 = "kplr010002792-2009259160929_llc.fits"
KEPLER_Q5 = "kplr010002792-2010174085026_llc.fits"
K2_C4 = "ktwo211117077-c04_llc.fits"
K2SFF_C4 = "hlsp_k2sff_k2_lightcurve_211117077-c04_kepler_v1_llc.fits"
TESS_S1 = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"

KEPLER_POSITION = SkyCoord(287.86721, 46.98308, unit="deg")
K2_POSITION = SkyCoord(55.967295, 24.841616, unit="deg")
TESS_POSITION = SkyCoord(51.1119, -77.4515, unit="deg")

# One row per MAST observation: obs_collection, obs_id, target_name, project, provenance_name,
# sequence_number (None: not filled, as for Kepler), t_exptime, t_min (MJD), position.
OBSERVATIONS = [
    ("Kepler", "kplr010002792_lc_Q111111111111111111", "kplr010002792", "Kepler", "Kepler",
     None, 1800.0, 55002.0, KEPLER_POSITION),
    ("K2", "ktwo211117077-c04_lc", "ktwo211117077", "K2", "K2",
     4, 1800.0, 57061.3, K2_POSITION),
    ("HLSP", "hlsp_k2sff_k2_lightcurve_211117077-c04_kepler_v1", "211117077", "K2", "K2SFF",
     4, 1800.0, 57061.3, K2_POSITION),
    ("TESS", "tess2018206045859-s0001-0000000358108509-0120-s", "358108509", "TESS", "SPOC",
     1, 120.0, 58324.8, TESS_POSITION),
]  # fmt: skip

# One row per product: obs_id, description, productFilename.
PRODUCTS = [
    (OBSERVATIONS[0][1], "Lightcurve Long Cadence (CLC) - Q2", KEPLER_Q2),
    (OBSERVATIONS[0][1], "Lightcurve Long Cadence (CLC) - Q5", KEPLER_Q5),
    (OBSERVATIONS[0][1], "Target Pixel Long Cadence (KTL) - Q2",
     "kplr010002792-2009259160929_lpd-targ.fits.gz"),
    (OBSERVATIONS[1][1], "Lightcurve Long Cadence (KLC) - C4", K2_C4),
    (OBSERVATIONS[2][1], "K2SFF light curve", K2SFF_C4),
    (OBSERVATIONS[3][1], "Light curves", TESS_S1),
    (OBSERVATIONS[3][1], "Target pixel files",
     "tess2018206045859-s0001-0000000358108509-0120-s_tp.fits"),
]  # fmt: skip

RESOLVER = {
    "KIC 10002792": KEPLER_POSITION,
    "EPIC 211117077": K2_POSITION,
    "TIC 358108509": TESS_POSITION,
}


class NetworkUsed(AssertionError):
    """Raised by the fake archive when a test has forbidden the network."""


class FakeMast:
    """The part of astroquery's `Observations` that lightkurve uses, answering from tables."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.forbidden = False
        self.damaged_downloads = False
        self.observations = self._observation_table()
        self.products = self._product_table()

    def forbid(self) -> None:
        self.forbidden = True

    def probe(self) -> None:
        self._use("probe")

    def query_criteria(
        self, *, project, objectname=None, target_name=None, radius=None, **criteria
    ):
        self._use("query_criteria")
        table = self.observations
        keep = _isin(table["project"], project)
        if "provenance_name" in criteria:
            keep &= _isin(table["provenance_name"], criteria["provenance_name"])
        if "dataproduct_type" in criteria:
            keep &= _isin(table["dataproduct_type"], criteria["dataproduct_type"])
        if "sequence_number" in criteria:
            wanted = np.atleast_1d(criteria["sequence_number"])
            keep &= np.isin(table["sequence_number"].filled(-1), wanted)
        if isinstance(criteria.get("t_exptime"), float | int):
            keep &= table["t_exptime"] == criteria["t_exptime"]
        if target_name is not None:
            return table[keep & (table["target_name"] == target_name)]
        centre = self._resolve(objectname)
        positions = SkyCoord(table["s_ra"], table["s_dec"], unit="deg")
        distance = centre.separation(positions).to_value(u.arcsec)
        keep &= distance <= u.Quantity(radius).to_value(u.arcsec)
        found = table[keep]
        found["distance"] = distance[keep]
        return found

    def get_product_list(self, observations):
        self._use("get_product_list")
        return self.products[np.isin(self.products["obs_id"], observations["obs_id"])]

    def download_products(self, products, *, download_dir, mrp_only=False, **options):
        self._use("download_products")
        manifest = []
        for product in products:
            folder = Path(
                download_dir, "mastDownload", product["obs_collection"], product["obs_id"]
            )
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / product["productFilename"]
            source = (EXAMPLES / product["productFilename"]).read_bytes()
            path.write_bytes(source[: len(source) - 2880] if self.damaged_downloads else source)
            manifest.append((str(path), "COMPLETE", "", product["dataURI"]))
        return Table(rows=manifest, names=("Local Path", "Status", "Message", "URL"))

    def _use(self, name: str) -> None:
        if self.forbidden:
            raise NetworkUsed(f"{name} reached the network")
        self.calls.append(name)

    @staticmethod
    def _resolve(objectname: str) -> SkyCoord:
        try:
            return SkyCoord(objectname.replace(",", " "), unit="deg")
        except ValueError:
            pass
        if objectname not in RESOLVER:
            raise ResolverError(f"Could not resolve {objectname} to a sky position.")
        return RESOLVER[objectname]

    @staticmethod
    def _observation_table() -> Table:
        columns = list(zip(*OBSERVATIONS, strict=True))
        sequence = [-1 if number is None else number for number in columns[5]]
        positions = columns[8]
        return Table(
            {
                "obsid": np.arange(len(OBSERVATIONS)) + 9000000,
                "obs_collection": columns[0],
                "obs_id": columns[1],
                "target_name": columns[2],
                "project": columns[3],
                "provenance_name": columns[4],
                "sequence_number": MaskedColumn(sequence, mask=[n is None for n in columns[5]]),
                "t_exptime": columns[6],
                "t_min": columns[7],
                "s_ra": [position.ra.deg for position in positions],
                "s_dec": [position.dec.deg for position in positions],
                "dataproduct_type": ["timeseries"] * len(OBSERVATIONS),
                "intentType": ["science"] * len(OBSERVATIONS),
            },
            masked=True,
        )

    def _product_table(self) -> Table:
        obs_ids, descriptions, filenames = zip(*PRODUCTS, strict=True)
        collections = {row[1]: row[0] for row in OBSERVATIONS}
        sizes = [
            (EXAMPLES / name).stat().st_size if (EXAMPLES / name).exists() else 2880
            for name in filenames
        ]
        return Table(
            {
                "obsID": np.arange(len(PRODUCTS)) + 7000000,
                "obs_collection": [collections[obs_id] for obs_id in obs_ids],
                "dataproduct_type": ["timeseries"] * len(PRODUCTS),
                "obs_id": obs_ids,
                "description": descriptions,
                "dataURI": [
                    f"mast:{collections[obs_id]}/product/{name}"
                    for obs_id, name in zip(obs_ids, filenames, strict=True)
                ],
                "productType": ["SCIENCE"] * len(PRODUCTS),
                "productFilename": filenames,
                "size": sizes,
            },
            masked=True,
        )


def _isin(column, wanted) -> np.ndarray:
    return np.isin(
        [str(value).lower() for value in column], [w.lower() for w in np.atleast_1d(wanted)]
    )


@pytest.fixture
def archive(monkeypatch: pytest.MonkeyPatch) -> FakeMast:
    fake = FakeMast()
    monkeypatch.setattr(mast, "_probe_mast", lambda *args, **kwargs: fake.probe())
    for name in ("query_criteria", "get_product_list", "download_products"):
        monkeypatch.setattr(Observations, name, getattr(fake, name))
    lk.search_lightcurve.cache_clear()
    yield fake
    lk.search_lightcurve.cache_clear()


@pytest.fixture
def cache(tmp_path: Path) -> MastCache:
    return MastCache(tmp_path / "mast")


def _mast_reachable() -> bool:
    try:
        socket.create_connection((mast.MAST_HOST, mast.MAST_PORT), timeout=2).close()
    except OSError:
        return False
    return True


# --- target and filter normalisation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "options", "expected"),
    [
        ("kic 10002792", {}, "KIC 10002792"),
        ("kplr010002792", {}, "KIC 10002792"),
        ("EPIC211117077", {}, "EPIC 211117077"),
        ("ktwo 211117077", {}, "EPIC 211117077"),
        ("tic-358108509", {}, "TIC 358108509"),
        (358108509, {"mission": "tess"}, "TIC 358108509"),
        ("10002792", {"quarter": 2}, "KIC 10002792"),
        (np.int64(211117077), {"campaign": 4}, "EPIC 211117077"),
        ("  Kepler-10 ", {}, "Kepler-10"),
        ("HD 189733", {}, "HD 189733"),
        (SkyCoord(287.86721, 46.98308, unit="deg"), {}, "287.867210 +46.983080"),
        ("287.86721, +46.98308", {}, "287.867210 +46.983080"),
        ("19:11:28.1304 +46:58:59.088", {}, "287.867210 +46.983080"),
        ("19h11m28.1304s +46d58m59.088s", {}, "287.867210 +46.983080"),
        ("19 11 28.1304 +46 58 59.088", {}, "287.867210 +46.983080"),
        (SkyCoord(l=78.0 * u.deg, b=16.0 * u.deg, frame="galactic"), {}, None),
    ],
)
def test_target_spellings_normalise_to_one_form(target, options, expected):
    query = MastQuery.build(target, **options)
    if expected is None:
        expected = MastQuery.build(target.icrs).target
        position = SkyCoord(expected, unit="deg")
        assert position.separation(target).arcsec < 0.01
    assert query.target == expected


@pytest.mark.parametrize(
    ("target", "options", "error"),
    [
        (10002792, {}, ValueError),
        ("10002792", {"mission": ["Kepler", "TESS"]}, ValueError),
        (-5, {"mission": "Kepler"}, ValueError),
        ("287.8 +96.0", {}, ValueError),
        ("   ", {}, ValueError),
        (True, {}, TypeError),
        (2.5, {}, TypeError),
        (SkyCoord([1, 2], [3, 4], unit="deg"), {}, ValueError),
    ],
)
def test_unreadable_targets_are_refused(target, options, error):
    with pytest.raises(error):
        MastQuery.build(target, **options)


_ID_SPELLINGS = {"kic": "KIC", "KIC": "KIC", "kplr": "KIC", "epic": "EPIC", "ktwo": "EPIC"}


@settings(max_examples=60, deadline=None)
@given(
    prefix=st.sampled_from([*_ID_SPELLINGS, "tic", "TIC"]),
    separator=st.sampled_from(["", " ", "  ", "-", "_"]),
    zeros=st.integers(0, 3),
    number=st.integers(1, 10**10),
)
def test_catalogue_ids_normalise_whatever_the_spelling(prefix, separator, zeros, number):
    query = MastQuery.build(f"{prefix}{separator}{'0' * zeros}{number}")
    canonical = _ID_SPELLINGS.get(prefix, "TIC")
    assert query.target == f"{canonical} {number}"
    assert MastQuery.build(query.target) == query


@settings(max_examples=60, deadline=None)
@given(
    ra=st.floats(0, 360, exclude_max=True, allow_nan=False),
    dec=st.floats(-90, 90, allow_nan=False),
)
def test_coordinates_normalise_to_a_stable_nearby_position(ra, dec):
    position = SkyCoord(ra, dec, unit="deg")
    query = MastQuery.build(position)
    assert SkyCoord(query.target, unit="deg").separation(position).arcsec < 0.01
    assert MastQuery.build(query.target).target == query.target


def test_equivalent_queries_share_a_key_and_different_ones_do_not():
    query = MastQuery.build("kplr010002792", mission="KEPLER", quarter=[5, 2, 5], exptime=1800)
    same = MastQuery.build("KIC 10002792", quarter=(2, 5), exptime=1800 * u.s, author="Kepler")
    assert same == query
    assert same.key == query.key
    others = [
        MastQuery.build("KIC 10002792", quarter=2, exptime=1800),
        MastQuery.build("KIC 10002792", quarter=[2, 5], exptime=60),
        MastQuery.build("KIC 10002792", quarter=[2, 5], exptime=1800, author="any"),
        MastQuery.build("KIC 10002792", quarter=[2, 5], exptime=1800, radius=1),
    ]
    assert len({query.key, *(other.key for other in others)}) == 1 + len(others)


def test_filters_default_to_the_official_pipelines_of_the_missions_searched():
    assert MastQuery.build("Kepler-10").authors == ("Kepler", "K2", "SPOC")
    assert MastQuery.build("Kepler-10", mission="tess").authors == ("SPOC",)
    assert MastQuery.build("Kepler-10", sector=[14, 15]).missions == ("TESS",)
    assert MastQuery.build("Kepler-10", author=["QLP", "SPOC"]).authors == ("QLP", "SPOC")
    assert MastQuery.build("Kepler-10", author="any").authors is None
    assert MastQuery.build("Kepler-10", radius=1 * u.arcmin).radius_arcsec == pytest.approx(60)


@pytest.mark.parametrize(
    "options",
    [
        {"quarter": 2, "mission": "TESS"},
        {"quarter": 2, "sector": 1},
        {"mission": "Gaia"},
        {"exptime": "medium"},
        {"exptime": -30},
        {"exptime": 3 * u.m},
        {"sector": [1, -2]},
        {"radius": 0},
        {"author": ""},
    ],
)
def test_contradictory_or_unknown_filters_are_refused(options):
    with pytest.raises(ValueError):
        MastQuery.build("Kepler-10", **options)


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "options", "filename", "mission_label", "author"),
    [
        ("KIC 10002792", {"quarter": 2}, KEPLER_Q2, "Kepler Quarter 02", "Kepler"),
        ("EPIC 211117077", {}, K2_C4, "K2 Campaign 04", "K2"),
        ("TIC 358108509", {"sector": 1}, TESS_S1, "TESS Sector 01", "SPOC"),
        (TESS_POSITION, {"radius": 5}, TESS_S1, "TESS Sector 01", "SPOC"),
        ("51.1119 -77.4515", {"radius": 5 * u.arcsec}, TESS_S1, "TESS Sector 01", "SPOC"),
    ],
)
def test_search_lists_the_light_curve_files(
    archive, cache, target, options, filename, mission_label, author
):
    products = search(target, cache=cache, **options)
    assert list(products["productFilename"]) == [filename]
    assert products["mission"][0] == mission_label
    assert products["author"][0] == author
    assert products.colnames[: len(mast.KEY_COLUMNS)] == list(mast.KEY_COLUMNS)
    assert archive.calls[0] == "probe"


def test_search_without_quarter_lists_every_quarter_and_no_pixel_files(archive, cache):
    products = search("kplr010002792", exptime="long", cache=cache)
    assert sorted(products["productFilename"]) == [KEPLER_Q2, KEPLER_Q5]
    assert list(products["year"]) == [2009, 2010]


def test_community_light_curves_only_with_author_any(archive, cache):
    official = search(K2_POSITION, radius=2, cache=cache)
    everything = search(K2_POSITION, radius=2, author="any", cache=cache)
    assert list(official["productFilename"]) == [K2_C4]
    assert sorted(everything["productFilename"]) == sorted([K2_C4, K2SFF_C4])


def test_second_identical_search_reads_the_cache_without_network(archive, cache):
    first = search("kic 10002792", quarter=[2, 5], cache=cache)
    archive.forbid()
    again = search("KIC 10002792", quarter=[5, 2], cache=MastCache(cache.root))
    assert len(again) == len(first) == 2
    for column in (*mast.KEY_COLUMNS, "obs_id", "obs_collection", "size"):
        assert list(again[column]) == list(first[column])
    assert again["exptime"].unit == u.s


def test_search_that_finds_nothing_returns_an_empty_table_and_is_not_cached(archive, cache):
    for _ in range(2):
        products = search("Not-A-Star-42", cache=cache)
        assert len(products) == 0
        assert set(mast.KEY_COLUMNS) <= set(products.colnames)
    assert archive.calls.count("probe") == 2
    assert not (cache.root / "searches").exists() or not any((cache.root / "searches").iterdir())


def test_network_error_inside_lightkurve_is_archive_unavailable_not_empty(
    archive, cache, monkeypatch
):
    def refuse(**criteria):
        raise requests.exceptions.ConnectionError("Connection reset by peer")

    monkeypatch.setattr(Observations, "query_criteria", refuse)
    with pytest.raises(ArchiveUnavailable, match="Connection reset by peer") as info:
        search("KIC 10002792", cache=cache)
    assert isinstance(info.value.__cause__, requests.exceptions.ConnectionError)
    assert "astrolens.sources.read" in str(info.value)
    assert not cache.search_path(MastQuery.build("KIC 10002792")).exists()


# --- download and fetch ----------------------------------------------------------------------


def test_download_stores_the_real_files_and_a_second_call_is_offline(archive, cache):
    paths = download("KIC 10002792", quarter=[2, 5], cache=cache, progress=False)
    assert [path.name for path in paths] == [KEPLER_Q2, KEPLER_Q5]
    for path in paths:
        assert path.is_relative_to(cache.root / "mastDownload")
        assert path.read_bytes() == (EXAMPLES / path.name).read_bytes()
    assert archive.calls.count("download_products") == 2
    assert not [p for p in cache.root.rglob("*") if p.name.startswith(".")]

    archive.forbid()
    assert download("kplr010002792", quarter=[5, 2], cache=cache, progress=False) == paths


def test_download_of_search_rows_only_fetches_those_rows(archive, cache):
    products = search("KIC 10002792", cache=cache)
    quarter_5 = products[products["productFilename"] == KEPLER_Q5]
    assert [path.name for path in download(quarter_5, cache=cache, progress=False)] == [KEPLER_Q5]
    assert archive.calls.count("download_products") == 1
    with pytest.raises(TypeError):
        download(quarter_5, quarter=5, cache=cache)


def test_download_of_nothing_says_what_was_asked(archive, cache):
    with pytest.raises(InvalidLightCurve, match=r"TIC 10002792 \(mission TESS.*sector 3\)"):
        download("10002792", mission="TESS", sector=3, cache=cache)


def test_damaged_download_is_refused_and_not_cached(archive, cache):
    archive.damaged_downloads = True
    with pytest.raises(ArchiveUnavailable, match="bytes instead of"):
        download("EPIC 211117077", cache=cache, progress=False)
    assert not list(cache.root.rglob("*.fits"))


def test_fetch_reads_what_download_stored(archive, cache):
    (light_curve,) = fetch("TIC 358108509", sector=1, cache=cache, progress=False)
    expected = read(EXAMPLES / TESS_S1)
    assert light_curve.meta["object_id"] == "TIC 358108509"
    np.testing.assert_array_equal(light_curve.time.value, expected.time.value)
    archive.forbid()
    assert len(fetch("TIC 358108509", sector=1, cache=cache, progress=False)) == 1


# --- corrupted entries -----------------------------------------------------------------------


def test_garbled_search_entry_is_detected_and_asked_again(archive, cache):
    query = MastQuery.build("EPIC 211117077")
    first = search("EPIC 211117077", cache=cache)
    entry = cache.search_path(query)
    entry.write_text(entry.read_text()[: len(entry.read_text()) // 2] + "\x00garbage")
    lk.search_lightcurve.cache_clear()
    with pytest.warns(UserWarning, match="corrupted cache entry"):
        again = search("EPIC 211117077", cache=cache)
    assert list(again["productFilename"]) == list(first["productFilename"])
    assert archive.calls.count("query_criteria") == 2
    archive.forbid()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(search("EPIC 211117077", cache=cache)) == 1


def test_search_entry_missing_its_last_rows_is_detected(archive, cache):
    search("KIC 10002792", cache=cache)
    entry = cache.search_path(MastQuery.build("KIC 10002792"))
    lines = entry.read_text().splitlines(keepends=True)
    entry.write_text("".join(lines[:-1]))
    with pytest.warns(UserWarning, match="holds 1 rows instead of 2"):
        assert len(search("KIC 10002792", cache=cache)) == 2


def test_search_entry_of_another_query_is_not_trusted(archive, cache):
    search("KIC 10002792", quarter=2, cache=cache)
    quarter_2 = cache.search_path(MastQuery.build("KIC 10002792", quarter=2))
    quarter_5 = cache.search_path(MastQuery.build("KIC 10002792", quarter=5))
    shutil.copy(quarter_2, quarter_5)
    with pytest.warns(UserWarning, match="another query"):
        products = search("KIC 10002792", quarter=5, cache=cache)
    assert list(products["productFilename"]) == [KEPLER_Q5]


def test_truncated_cached_file_is_downloaded_again(archive, cache):
    (path,) = download("EPIC 211117077", cache=cache, progress=False)
    original = path.read_bytes()
    path.write_bytes(original[:1000])
    with pytest.warns(UserWarning, match="corrupted cache file"):
        (again,) = download("EPIC 211117077", cache=cache, progress=False)
    assert again == path
    assert again.read_bytes() == original
    assert archive.calls.count("download_products") == 2


def test_unwritable_cache_is_a_cache_error(archive, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(CacheError, match="not-a-folder"):
        search("KIC 10002792", cache=MastCache(blocker))


def test_failed_write_leaves_no_entry_and_no_temporary_file(archive, cache, monkeypatch):
    def write_half_then_fail(self, path, **options):
        Path(path).write_text("# %ECSV 1.0\n# ---\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Table, "write", write_half_then_fail)
    with pytest.raises(CacheError, match="No space left"):
        search("KIC 10002792", cache=cache)
    assert list((cache.root / "searches").iterdir()) == []


def test_product_names_cannot_escape_the_cache(cache):
    row = Table({"obs_collection": ["Kepler"], "obs_id": [".."], "productFilename": ["x.fits"]})[0]
    with pytest.raises(CacheError):
        cache.product_path(row)


def test_default_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASTROLENS_CACHE", str(tmp_path))
    assert MastCache().root == tmp_path / "mast"
    monkeypatch.delenv("ASTROLENS_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert MastCache().root == tmp_path / "home" / ".cache" / "astrolens" / "mast"


# --- offline behaviour -----------------------------------------------------------------------


@pytest.mark.skipif(_mast_reachable(), reason="MAST is reachable from this machine")
def test_real_search_offline_fails_fast_and_points_to_local_files(cache):
    start = time.perf_counter()
    with pytest.raises(ArchiveUnavailable) as info:
        search("Kepler-10", cache=cache)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "cannot be reached" in message
    assert "astrolens.sources.read(" in message
    assert str(cache.root) in message


@pytest.mark.skipif(_mast_reachable(), reason="MAST is reachable from this machine")
def test_real_lightkurve_call_offline_is_archive_unavailable(cache, monkeypatch):
    monkeypatch.setattr(mast, "_probe_mast", lambda *args, **kwargs: None)
    lk.search_lightcurve.cache_clear()
    start = time.perf_counter()
    with pytest.raises(ArchiveUnavailable, match="searching for KIC 10002792"):
        search("KIC 10002792", quarter=2, cache=cache)
    assert time.perf_counter() - start < 5


def test_offline_download_of_cached_files_needs_no_network(archive, cache, monkeypatch):
    paths = download("TIC 358108509", cache=cache, progress=False)
    monkeypatch.setattr(mast, "_probe_mast", lambda *args, **kwargs: "no network")
    assert download("TIC 358108509", cache=cache, progress=False) == paths
    with pytest.raises(ArchiveUnavailable, match="no network"):
        download("TIC 358108509", sector=2, cache=cache, progress=False)


def test_probe_tells_a_closed_port_from_an_open_one():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        open_address = listener.getsockname()
        assert mast._probe_mast(open_address, timeout_s=2) is None
    start = time.perf_counter()
    problem = mast._probe_mast(open_address, timeout_s=2)
    assert problem is not None and "no connection" in problem
    assert mast._probe_mast(("host.invalid", 443), timeout_s=2) is not None
    assert time.perf_counter() - start < 5


def test_probe_goes_through_the_configured_proxy(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    assert mast._probe_address() == ("proxy.example.org", 3128)
    monkeypatch.setenv("NO_PROXY", "stsci.edu")
    assert mast._probe_address() == (mast.MAST_HOST, mast.MAST_PORT)
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.delenv("NO_PROXY")
    assert os.environ.get("https_proxy") is None
    assert mast._probe_address() == (mast.MAST_HOST, mast.MAST_PORT)
