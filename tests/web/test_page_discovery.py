"""The page as a discovery tool: a live first view, the anomalies, folded light curves, links out,
the embedding map, permalinks and the back button, the keyboard and a phone's width.

The API behind each is checked against the same search in this process; the page is driven in a
real headless Chromium (Playwright with the system's browser). The screenshots of the first view
and of the map are the README's (``$ASTROLENS_TEST_ARTIFACTS``, default ``tests/artifacts/``).
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np
import pandas as pd
import pytest

from astrolens.index import CorruptIndex
from astrolens.index.embedding_map import MAP_FILE, MAP_POINTS, read_map
from astrolens.index.folder import is_current, read_index_map, read_index_source
from astrolens.search import open_search
from astrolens.sources import example_files
from astrolens.web import maps
from astrolens.web.maps import open_map
from astrolens.web.state import ServedIndex
from astrolens.web.thumbnails import ThumbnailCache

KEPLER = example_files("Kepler")[0]
ARTIFACTS = Path(
    os.environ.get("ASTROLENS_TEST_ARTIFACTS", Path(__file__).parents[1] / "artifacts")
)
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def client(server):
    with server.client() as client:
        yield client


def periodic_id(oracle, fastest: bool = True) -> str:
    """The indexed object of shortest (or longest) catalogued period."""
    table = oracle.catalog.table
    periods = table.set_index("object_id")["period_days"].dropna()
    periods = periods[periods.index.isin(set(map(str, oracle.index.ids)))]
    return str(periods.idxmin() if fastest else periods.idxmax())


# -- the API --------------------------------------------------------------------------------------


def test_the_index_folder_keeps_a_map_of_every_object(index_folder, oracle):
    mapped = read_map(index_folder)
    assert (index_folder / MAP_FILE).is_file()
    assert len(oracle.index) <= MAP_POINTS  # the tiny survey is mapped whole
    assert sorted(mapped["object_id"]) == sorted(map(str, oracle.index.ids))
    assert np.isfinite(mapped[["x", "y"]].to_numpy()).all()
    assert np.abs(mapped[["x", "y"]].to_numpy()).max() == pytest.approx(1.0)


def test_a_modified_map_is_refused_by_its_checksum_and_searches_go_on(index_folder, tmp_path):
    copy = shutil.copytree(index_folder, tmp_path / "index")
    source = read_index_source(copy)
    assert source.map_file_sha256 and is_current(copy, source)
    assert read_index_map(copy).equals(read_map(copy))
    moved = read_map(copy).assign(x=lambda table: -table["x"])  # a map of other positions
    moved.to_parquet(copy / MAP_FILE, index=False)
    with pytest.raises(CorruptIndex, match=r"map\.parquet: SHA-256 does not match survey\.json"):
        read_index_map(copy)
    assert not is_current(copy, source)  # the next build makes the folder again
    search = open_search(copy)
    served = ServedIndex("copy", search, "hybrid_cnn", ThumbnailCache(search.images))
    assert served.embedding_map is None and "map.parquet: SHA-256" in served.map_problem
    object_id = str(search.index.ids[0])
    assert len(search.by_object(object_id, k=3).object_ids) == 3


def test_the_map_endpoint_gives_points_coloured_by_class(client, oracle):
    answer = client.get("/api/map").json()
    assert answer["method"] == "t-SNE"
    assert answer["n_mapped"] == answer["n_indexed"] == len(oracle.index)
    table = oracle.catalog.table.set_index("object_id")
    classes = [answer["classes"][code] for code in answer["class"]]
    assert classes == table.loc[answer["object_id"], "class"].astype(str).tolist()


def test_a_search_says_where_the_query_and_matches_lie_on_the_map(client, oracle):
    object_id = str(oracle.index.ids[7])
    mapped = read_map(oracle.folder).set_index("object_id")
    answer = client.get("/api/search/object", params={"id": object_id, "k": 4}).json()
    assert answer["map"]["query"] == pytest.approx(
        mapped.loc[object_id, ["x", "y"]].tolist(), abs=1e-4
    )
    for match in answer["map"]["matches"]:
        expected = mapped.loc[match["object_id"], ["x", "y"]].tolist()
        assert [match["x"], match["y"]] == pytest.approx(expected, abs=1e-4)
    assert [match["object_id"] for match in answer["map"]["matches"]] == [
        match["object_id"] for match in answer["matches"]
    ]


def test_placing_matches_on_the_map_reads_their_index_positions_not_their_ids(oracle, monkeypatch):
    view = open_map(oracle)  # as a server process opens it for its first search
    built = []
    monkeypatch.setattr(maps, "_id_table", lambda search: built.append(search) or pd.Index([]))
    result = oracle.by_object(str(oracle.index.ids[7]), 4)
    assert np.asarray(oracle.index.ids)[result.positions].astype(str).tolist() == list(
        map(str, result.object_ids)
    )
    placed = view.positions(oracle, result)
    unknown = copy.copy(result)  # a result that does not know its positions: ids looked up
    unknown.positions = None
    assert view.positions(oracle, unknown) == placed
    assert built == []  # the table open_map built: not one per request (a second at 1M)
    assert [match["object_id"] for match in placed["matches"]] == list(map(str, result.object_ids))


def test_the_example_is_a_periodic_object_and_a_seed_repeats_it(client, oracle):
    first = client.get("/api/example", params={"seed": 3}).json()["object_id"]
    assert client.get("/api/example", params={"seed": 3}).json()["object_id"] == first
    drawn = {client.get("/api/example").json()["object_id"] for _ in range(8)}
    periods = oracle.catalog.table.set_index("object_id")["period_days"]
    assert all(periods[name] > 0 for name in drawn | {first})
    assert len(drawn) > 1  # drawn anew for each visitor


def test_anomalies_are_the_least_similar_objects(client, oracle):
    answer = client.get("/api/anomalies", params={"n": 6}).json()
    expected = oracle.least_similar(6, k=10).matches
    assert [row["object_id"] for row in answer["objects"]] == expected["object_id"].tolist()
    scores = [row["anomaly_score"] for row in answer["objects"]]
    assert scores == sorted(scores, reverse=True)
    np.testing.assert_allclose(scores, expected["anomaly_score"], rtol=1e-5)


def test_a_catalogued_query_says_its_period_and_links_out_to_ogle(client, oracle):
    table = oracle.catalog.table
    drawn = table[table["ogle_id"].astype(str).str.startswith("OGLE-")]
    row = drawn[drawn["object_id"].isin(set(map(str, oracle.index.ids)))].iloc[0]
    answer = client.get("/api/search/object", params={"id": row["object_id"], "k": 3}).json()
    assert answer["query"]["period"] == {
        "days": pytest.approx(row["period_days"]),
        "source": "catalogue",
    }
    links = answer["query"]["links"]
    kind = row["ogle_id"].split("-")
    assert links[0]["url"].endswith(f"/OIII-CVS/{kind[1].lower()}/{kind[2].lower()}/")
    assert links[1]["url"].endswith(f"/phot/I/{row['ogle_id']}.dat")
    for match in answer["matches"]:
        has_ogle = str(match.get("ogle_id") or "").startswith("OGLE-")
        assert (match["object_id"] in answer["links"]) == has_ogle


def test_an_upload_is_folded_at_its_lomb_scargle_period_and_links_to_mast_and_simbad(
    client, oracle
):
    from astrolens.web.thumbnails import lomb_scargle

    with KEPLER.open("rb") as stream:
        answer = client.post(
            "/api/search/upload", params={"thumbnail": "true"}, files={"file": stream}
        ).json()
    item = oracle.encoder.load(KEPLER)
    expected = oracle.encoder.own_period(item)  # what the search ranked the matches by
    assert answer["query"]["period"] == {"days": pytest.approx(expected), "source": "Lomb-Scargle"}
    drawn = lomb_scargle(oracle.encoder.picture(item)[0]).best_period_days
    assert expected == pytest.approx(drawn, rel=0.01)  # the drawing's own periodogram agrees
    ra, dec = answer["query"]["sky"][0]
    assert 279 < ra < 302 and 35 < dec < 53  # KIC 10002792, in the Kepler field
    labels = [link["label"] for link in answer["query"]["links"]]
    assert labels == ["MAST", "SIMBAD"]
    assert f"{ra:.6f}" in answer["query"]["links"][0]["url"]
    assert answer["map"]["query"] is not None


def test_a_periodic_thumbnail_is_folded_with_units_on_every_axis(oracle):
    from astrolens.web.thumbnails import thumbnail_figure

    object_id = periodic_id(oracle)
    row = oracle.catalog.row(object_id)
    series, image = oracle.images(row)
    figure = thumbnail_figure(series, image, period_days=row["period_days"])
    axes = {ax.get_label(): ax for ax in figure.axes}
    assert axes["series"].get_xlabel() == "time [d]"
    assert axes["series"].get_ylabel() == "rel. flux"
    assert axes["folded"].get_xlabel() == f"phase (P = {row['period_days']:.4g} d)"
    assert (axes["image"].get_xlabel(), axes["image"].get_ylabel()) == ("time [d]", "period [d]")
    phases = np.concatenate([line.get_xdata() for line in axes["folded"].get_lines()])
    assert phases.min() >= 0 and phases.max() <= 2
    assert series.baseline_days / row["period_days"] > 100  # unfolded: a band; folded: a shape
    unfolded = thumbnail_figure(series, image)
    assert sorted(ax.get_label() for ax in unfolded.axes) == ["image", "series"]


# -- the page in Chromium --------------------------------------------------------------------------

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the Python package playwright")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium: apt-get install chromium (Debian package)"
)
sync_api.expect.set_options(timeout=TIMEOUT_MS)
WINDOW = {"width": 1400, "wait_for_index": False}
"""How these tests open the page (``browser.open``): the README's screenshots are 1,400 pixels
wide; the first view is checked as it loads."""


def shown_ids(page) -> list[str]:
    cards = page.locator(".match-card")
    return [cards.nth(i).get_attribute("data-object-id") for i in range(cards.count())]


def address(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def wait_for_query(page, object_id: str) -> None:
    sync_api.expect(page.locator("#query .card-title")).to_have_text(object_id)
    sync_api.expect(page.locator("#search-button")).to_be_enabled()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def pictures_loaded(page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.thumbnail')]"
        ".every((image) => image.complete && image.naturalWidth > 0)"
    )


@chromium
def test_the_page_opens_on_an_example_with_its_matches_and_map(browser, server, oracle):
    with browser.open(server.url, **WINDOW) as page:
        sync_api.expect(page.locator(".match-card")).to_have_count(5)
        query = page.locator("#query .card-title").inner_text()
        assert oracle.catalog.row(query)["period_days"] > 0  # a periodic example
        assert shown_ids(page) == oracle.by_object(query, 5).matches["object_id"].tolist()
        assert address(page)["id"] == [query] and address(page)["kind"] == ["object"]
        period = oracle.catalog.row(query)["period_days"]
        sync_api.expect(page.locator("#query .card-period")).to_contain_text("(catalogued period)")
        assert f"{period:.4g}"[:4] in page.locator("#query .card-period").inner_text()
        sync_api.expect(page.locator("#status")).to_contain_text("an example")
        sync_api.expect(page.locator("#map-section")).to_be_visible()
        sync_api.expect(page.locator("#map-about")).to_contain_text(
            f"t-SNE map of all {len(oracle.index)} of the {len(oracle.index)} objects"
        )
        pictures_loaded(page)
        page.set_viewport_size({"width": 1400, "height": 1000})
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "page-first-view.png")
        page.locator("#map-section").screenshot(path=ARTIFACTS / "page-map.png")


@chromium
def test_the_anomalies_are_one_click_from_their_neighbours(browser, server, oracle):
    expected = oracle.least_similar(20, k=10).matches["object_id"].tolist()
    with browser.open(f"{server.url}/?view=anomalies", **WINDOW) as page:
        entries = page.locator("#anomaly-list button")
        sync_api.expect(entries).to_have_count(20)
        assert [entries.nth(i).get_attribute("data-object-id") for i in range(20)] == expected
        entries.nth(2).click()
        wait_for_query(page, expected[2])
        assert shown_ids(page) == oracle.by_object(expected[2], 5).matches["object_id"].tolist()
        sync_api.expect(page.locator("#anomalies")).to_be_hidden()
        page.go_back()
        sync_api.expect(entries).to_have_count(20)


@chromium
def test_a_permalink_reloads_the_same_search_with_its_filters(browser, server, oracle):
    object_id = str(oracle.index.ids[12])
    with browser.open(server.url, **WINDOW) as page:
        sync_api.expect(page.locator(".match-card")).to_have_count(5)  # the example first
        page.fill("#object-id", object_id)
        page.fill("#k", "7")
        page.click("#class-filter summary")
        page.check('#classes input[value="RRab"]')
        page.click("#search-button")
        wait_for_query(page, object_id)
        sync_api.expect(page.locator(".match-card")).to_have_count(7)
        shown = shown_ids(page)
        link = page.url
        assert address(page)["class"] == ["RRab"] and address(page)["k"] == ["7"]
    from astrolens.search import Filters

    expected = oracle.by_object(object_id, 7, filters=Filters(classes=["RRab"]))
    assert shown == expected.matches["object_id"].tolist()
    with browser.open(link, **WINDOW) as page:  # shared: another browser opens it
        wait_for_query(page, object_id)
        sync_api.expect(page.locator(".match-card")).to_have_count(7)
        assert shown_ids(page) == shown
        assert page.locator('#classes input[value="RRab"]').is_checked()
        page.reload()
        wait_for_query(page, object_id)
        sync_api.expect(page.locator(".match-card")).to_have_count(7)
        assert shown_ids(page) == shown


@chromium
def test_the_back_button_steps_back_through_searches(browser, server, oracle):
    first, second = str(oracle.index.ids[30]), str(oracle.index.ids[40])
    with browser.open(f"{server.url}/?id={quote(first)}", **WINDOW) as page:
        wait_for_query(page, first)
        page.check('input[name="mode"][value="random"]')
        page.fill("#seed", "")
        page.click("#search-button")
        sync_api.expect(page.locator("#search-button")).to_be_enabled()
        seed = address(page)["seed"][0]
        random_query = oracle.random(5, seed=int(seed)).query.label
        wait_for_query(page, random_query)
        page.check('input[name="mode"][value="object"]')
        page.fill("#object-id", second)
        page.click("#search-button")
        wait_for_query(page, second)
        page.go_back()
        wait_for_query(page, random_query)
        assert address(page)["seed"] == [seed] and address(page)["kind"] == ["random"]
        page.go_back()
        wait_for_query(page, first)
        assert shown_ids(page) == oracle.by_object(first, 5).matches["object_id"].tolist()
        page.go_forward()
        wait_for_query(page, random_query)
        assert shown_ids(page) == oracle.random(5, seed=int(seed)).matches["object_id"].tolist()


@chromium
def test_an_uploads_permalink_says_to_choose_the_file_again(browser, server):
    with browser.open(server.url, **WINDOW) as page:
        sync_api.expect(page.locator(".match-card")).to_have_count(5)
        page.check('input[name="mode"][value="upload"]')
        page.set_input_files("#file", str(KEPLER))
        page.click("#search-button")
        wait_for_query(page, "KIC 10002792")
        sync_api.expect(page.locator("#query .card-period")).to_contain_text("Lomb-Scargle")
        links = page.locator("#query .links-out a")
        sync_api.expect(links).to_have_text(["MAST", "SIMBAD"])
        assert "simbad.cds.unistra.fr" in links.nth(1).get_attribute("href")
        assert address(page)["kind"] == ["upload"]
        page.reload()
        sync_api.expect(page.locator("#status")).to_contain_text("choose the file again")
        sync_api.expect(page.locator("#results")).to_be_hidden()
        assert page.locator('input[name="mode"][value="upload"]').is_checked()


@chromium
def test_clicking_the_map_searches_from_that_object(browser, server, oracle):
    mapped = read_map(oracle.folder)
    points = mapped[["x", "y"]].to_numpy()
    gaps = np.sort(np.linalg.norm(points[:, None] - points[None], axis=2), axis=1)[:, 1]
    loneliest = str(mapped["object_id"][int(np.argmax(gaps))])  # no neighbour under the mouse
    with browser.open(server.url, **WINDOW) as page:
        sync_api.expect(page.locator(".match-card")).to_have_count(5)
        page.locator("#map").scroll_into_view_if_needed()
        x, y = page.evaluate(f"mapPixel({loneliest!r})")
        page.mouse.move(x, y)
        tip = page.locator("#map-tip")
        sync_api.expect(tip).to_be_visible()
        sync_api.expect(tip).to_have_text(f"{loneliest} ({oracle.catalog.row(loneliest)['class']})")
        page.mouse.click(x, y)
        wait_for_query(page, loneliest)
        assert shown_ids(page) == oracle.by_object(loneliest, 5).matches["object_id"].tolist()
        assert address(page)["id"] == [loneliest]
        marked = page.evaluate("state.mapShown.matches.map((match) => match.object_id)")
        assert marked == shown_ids(page)


@chromium
def test_the_keyboard_searches_and_follows_a_match(browser, server, oracle):
    object_id = str(oracle.index.ids[5])
    with browser.open(server.url, **WINDOW) as page:
        sync_api.expect(page.locator(".match-card")).to_have_count(5)
        page.focus("#object-id")
        page.keyboard.press("Control+A")
        page.keyboard.type(object_id)
        page.keyboard.press("Enter")
        wait_for_query(page, object_id)
        first_match = shown_ids(page)[0]
        page.focus(".match-card >> nth=0")
        page.keyboard.press("Enter")
        wait_for_query(page, first_match)
        page.focus("#map")
        page.keyboard.press("ArrowRight")
        chosen = page.evaluate("state.map.object_id[state.mapFocus]")
        sync_api.expect(page.locator("#map-tip")).to_contain_text(chosen)
        page.keyboard.press("Enter")
        wait_for_query(page, chosen)


@chromium
def test_at_a_phones_width_nothing_is_wider_than_the_screen(browser, server, oracle):
    with browser.open(server.url, **{**WINDOW, "width": 375, "height": 800}) as page:
        sync_api.expect(page.locator(".match-card")).to_have_count(5)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        boxes = [page.locator(".match-card").nth(i).bounding_box() for i in range(2)]
        assert boxes[0]["x"] == boxes[1]["x"] and boxes[1]["y"] > boxes[0]["y"]  # one column
        assert boxes[0]["x"] + boxes[0]["width"] <= 375
        sync_api.expect(page.locator("#map")).to_be_visible()  # drawn once /api/map answers
        map_box = page.locator("#map").bounding_box()
        assert map_box["width"] <= 375 and map_box["height"] > 200
        chosen = shown_ids(page)[1]
        page.locator(".match-card").nth(1).click()
        wait_for_query(page, chosen)
        screenshot(page, "page-phone.png")
