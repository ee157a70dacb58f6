"""The search page driven in a real headless Chromium (Playwright with the system's browser).

Screenshots go to ``$ASTROLENS_TEST_ARTIFACTS`` (default ``tests/artifacts/``).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from astrolens.runfolder import default_run_path
from astrolens.runs import run_encoder_name
from astrolens.search import Filters
from astrolens.sources import example_files

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the Python package playwright")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium: apt-get install chromium (Debian package)"
)

TIMEOUT_MS = 60_000
"""Longest wait for the page (a shared, busy machine can take seconds to embed an upload)."""
sync_api.expect.set_options(timeout=TIMEOUT_MS)

ARTIFACTS = Path(
    os.environ.get("ASTROLENS_TEST_ARTIFACTS", Path(__file__).parents[1] / "artifacts")
)
KEPLER = example_files("Kepler")[0]
K2 = example_files("K2")[0]
ALL_PICTURES_LOADED = """() => {
    const images = [...document.querySelectorAll('img.thumbnail')];
    return images.length > 0 && images.every((image) => image.complete && image.naturalWidth > 0);
}"""


@pytest.fixture
def page(browser, server):
    with browser.open(server.url, downloads=True) as page:
        yield page


def shown_ids(page) -> list[str]:
    cards = page.locator(".match-card")
    return [cards.nth(i).get_attribute("data-object-id") for i in range(cards.count())]


def downloaded_rows(page) -> list[dict[str, str]]:
    with page.expect_download() as waiting:
        page.click("#csv-link")
    download = waiting.value
    assert download.suggested_filename.startswith("astrolens-")
    assert download.suggested_filename.endswith(".csv")
    return list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def test_search_by_id_shows_the_grid_and_downloads_the_csv(page, oracle):
    object_id = str(oracle.index.ids[3])
    page.fill("#object-id", object_id)
    page.fill("#k", "6")
    page.click("#search-button")
    sync_api.expect(page.locator(".match-card")).to_have_count(6)
    expected = oracle.by_object(object_id, 6).matches
    assert shown_ids(page) == expected["object_id"].tolist()
    sync_api.expect(page.locator("#query .card-title")).to_have_text(object_id)
    sync_api.expect(page.locator("#results-table tbody tr")).to_have_count(6)
    assert page.locator("#histograms svg").count() > 0
    page.wait_for_function(ALL_PICTURES_LOADED)
    rows = downloaded_rows(page)
    assert [row["object_id"] for row in rows] == expected["object_id"].tolist()
    assert set(expected.columns) == set(rows[0])
    screenshot(page, "search-by-id.png")


def test_clicking_a_match_searches_from_it(page, oracle):
    page.fill("#object-id", str(oracle.index.ids[10]))
    page.click("#search-button")
    sync_api.expect(page.locator(".match-card")).to_have_count(5)
    chosen = shown_ids(page)[1]
    page.locator(".match-card").nth(1).click()
    sync_api.expect(page.locator("#query .card-title")).to_have_text(chosen)
    sync_api.expect(page.locator(".match-card")).to_have_count(5)
    assert shown_ids(page) == oracle.by_object(chosen, 5).matches["object_id"].tolist()


def test_a_link_with_an_id_opens_its_search(page, server, oracle):
    object_id = str(oracle.index.ids[25])
    page.goto(f"{server.url}/?id={quote(object_id)}&k=3")
    sync_api.expect(page.locator(".match-card")).to_have_count(3)
    assert shown_ids(page) == oracle.by_object(object_id, 3).matches["object_id"].tolist()


def test_random_object_search(page, oracle):
    page.check('input[name="mode"][value="random"]')
    page.click("#search-button")
    sync_api.expect(page.locator(".match-card")).to_have_count(5)
    query = page.locator("#query .card-title").inner_text()
    assert query in set(oracle.index.ids) and query not in shown_ids(page)


def test_filters_reach_the_search(page, oracle):
    page.click("#class-filter summary")
    page.check('#classes input[value="EA"]')
    page.select_option("#mission", "TESS")
    page.fill("#object-id", str(oracle.index.ids[0]))
    page.click("#search-button")
    sync_api.expect(page.locator(".match-card")).to_have_count(5)
    facts = page.locator(".match-card .card-facts").all_inner_texts()
    assert facts == ["EA · TESS"] * 5


def test_a_period_range_reaches_the_search_and_its_address(page, oracle):
    object_id = str(oracle.index.ids[4])
    page.fill("#object-id", object_id)
    page.fill("#period-min", "0.2")
    page.fill("#period-max", "3")
    page.click("#search-button")
    sync_api.expect(page.locator(".match-card")).to_have_count(5)
    filters = Filters(ranges={"period_days": (0.2, 3.0)})
    expected = oracle.by_object(object_id, 5, filters=filters).matches
    assert shown_ids(page) == expected["object_id"].tolist()
    assert "period_min=0.2" in page.url and "period_max=3" in page.url
    page.reload()  # the address repeats the search, the range filled in again
    sync_api.expect(page.locator("#period-max")).to_have_value("3")
    sync_api.expect(page.locator(".match-card")).to_have_count(5)
    assert shown_ids(page) == expected["object_id"].tolist()


def test_upload_a_fits_file(page, oracle):
    page.check('input[name="mode"][value="upload"]')
    page.set_input_files("#file", str(KEPLER))
    page.click("#search-button")
    sync_api.expect(page.locator(".match-card")).to_have_count(5)
    expected = oracle.by_lightcurve(KEPLER, 5).matches["object_id"].tolist()
    assert shown_ids(page) == expected
    sync_api.expect(page.locator("#query .card-title")).to_have_text("KIC 10002792")
    assert page.locator("#query img").get_attribute("src").startswith("data:image/png;base64,")
    page.wait_for_function(ALL_PICTURES_LOADED)
    assert [row["object_id"] for row in downloaded_rows(page)] == expected
    screenshot(page, "search-by-upload.png")
    assert page.evaluate("document.querySelector('#status').textContent").startswith("5 objects")


def test_upload_several_files_at_once(page, oracle):
    page.check('input[name="mode"][value="upload"]')
    combine = page.locator("#upload-combine")
    page.set_input_files("#file", str(KEPLER))
    sync_api.expect(combine).to_be_hidden()  # one file: nothing to combine
    page.set_input_files("#file", [str(KEPLER), str(K2)])
    sync_api.expect(combine).to_be_visible()
    page.select_option("#upload-combine-method", "rrf")
    page.click("#search-button")
    title = page.locator("#query .card-title")
    sync_api.expect(title).to_have_text("2 light curves (rrf)")
    names = [KEPLER.name, K2.name]
    expected = oracle.by_inputs([KEPLER, K2], 5, combine="rrf", labels=names)
    assert shown_ids(page) == expected.matches["object_id"].tolist()
    page.wait_for_function(ALL_PICTURES_LOADED)
    sync_api.expect(page.locator("#query .query-examples img")).to_have_count(2)  # each file
    assert [row["object_id"] for row in downloaded_rows(page)] == shown_ids(page)


def test_a_bad_request_shows_the_servers_message(page):
    page.fill("#object-id", "KIC 1")
    page.click("#search-button")
    sync_api.expect(page.locator("#status")).to_contain_text("404: KIC 1: not in the")
    page.check('input[name="mode"][value="coordinates"]')
    page.fill("#ra", "somewhere")
    page.fill("#dec", "44")
    page.click("#search-button")
    sync_api.expect(page.locator("#status")).to_contain_text("422: cannot read sky coordinates")


def test_an_upload_unlike_the_survey_is_shown_with_a_warning(page, oracle):
    domain = oracle.by_lightcurve(KEPLER, 5).domain
    page.check('input[name="mode"][value="upload"]')
    page.set_input_files("#file", str(KEPLER))
    with page.expect_response("**/api/search/upload*") as answered:
        page.click("#search-button")
    sync_api.expect(page.locator(".match-card")).to_have_count(5)
    assert page.locator("#domain-warning").is_visible() == (not domain.in_domain)
    payload = answered.value.json()
    warning_text = "unlike what this survey and model know: too far"
    payload["domain"] |= {"in_domain": False, "reasons": ["too far"], "warning": warning_text}

    def far_out(route):  # the server's answer, with the domain check of a foreign query
        route.fulfill(json=payload)

    page.route("**/api/search/upload*", far_out)
    page.click("#search-button")
    warning = page.locator("#domain-warning")
    sync_api.expect(warning).to_be_visible()
    sync_api.expect(warning).to_contain_text("unlike what this survey and model know: too far")
    screenshot(page, "search-out-of-domain.png")
    page.unroute("**/api/search/upload*")
    page.check('input[name="mode"][value="object"]')
    page.fill("#object-id", oracle.catalog.object_ids[0])
    page.click("#search-button")
    sync_api.expect(warning).to_be_hidden()  # a catalogued object: no check, no warning


def test_one_index_has_no_encoder_choice(page):
    sync_api.expect(page.locator("#index-choice")).to_be_hidden()


def test_the_encoder_choice_asks_the_other_index_the_same_query(
    browser, two_encoders, oracle, features_oracle
):
    object_id = str(oracle.index.ids[8])
    encoder = run_encoder_name(default_run_path())
    expected = {
        "index": oracle.by_object(object_id, 5).matches["object_id"].tolist(),
        "features": features_oracle.by_object(object_id, 5).matches["object_id"].tolist(),
    }
    assert expected["index"] != expected["features"]
    with browser.open(two_encoders.url) as page:
        choice = page.locator("#index-choice")
        sync_api.expect(choice).to_be_visible()
        sync_api.expect(choice).to_contain_text("Encoder")
        sync_api.expect(page.locator("#index option")).to_have_text(
            [f"index ({encoder})", "features (features)"]
        )
        page.fill("#object-id", object_id)
        page.click("#search-button")
        answered_by = page.locator("#answered-by")
        sync_api.expect(answered_by).to_have_text(f"by the {encoder} encoder (index index)")
        assert shown_ids(page) == expected["index"]
        page.select_option("#index", "features")
        sync_api.expect(answered_by).to_have_text("by the features encoder (index features)")
        sync_api.expect(page.locator("#status")).to_contain_text("by the features encoder")
        assert shown_ids(page) == expected["features"]
        assert "index=features" in page.url
        page.wait_for_function(ALL_PICTURES_LOADED)
        assert all(
            source.endswith("?index=features")
            for source in page.locator("img.thumbnail").evaluate_all("els => els.map(e => e.src)")
        )
        screenshot(page, "encoder-choice.png")
        page.goto(page.url)  # the address keeps the choice and the query
        sync_api.expect(page.locator("#index")).to_have_value("features")
        sync_api.expect(answered_by).to_have_text("by the features encoder (index features)")
        assert shown_ids(page) == expected["features"]


def test_the_page_offers_an_image_upload_for_the_galaxy_index(
    browser, lightcurves_and_galaxies, galaxy_index, tmp_path
):
    from PIL import Image

    from astrolens.modalities.galaxy import survey_cutout
    from astrolens.search import open_search

    row = open_search(galaxy_index).catalog.table.iloc[21]
    picture = tmp_path / "galaxy.png"
    Image.fromarray(survey_cutout(row)).save(picture)
    with browser.open(lightcurves_and_galaxies.url) as page:
        sync_api.expect(page.locator("#upload-mode-label")).to_have_text("Light-curve file")
        sync_api.expect(page.locator("#period-min")).to_be_visible()
        page.fill("#period-min", "1")  # a filter galaxies have no column for: hidden, not sent
        page.select_option("#index", "galaxies")
        sync_api.expect(page.locator("#upload-mode-label")).to_have_text("Image file")
        sync_api.expect(page.locator("#period-min")).to_be_hidden()
        sync_api.expect(page.locator("#upload-label")).to_have_text(
            "JPEG, PNG or FITS image (one or several)"
        )
        assert ".png" in page.locator("#file").get_attribute("accept")
        page.check('input[name="mode"][value="upload"]')
        sync_api.expect(page.locator("#upload-note")).to_be_visible()
        page.set_input_files("#file", str(picture))
        page.click("#search-button")
        sync_api.expect(page.locator(".match-card")).to_have_count(5)
        assert shown_ids(page)[0] == row["object_id"]
        sync_api.expect(page.locator("#query .card-kind")).to_have_text("your image")
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.thumbnail.picture')]"
            ".every((image) => image.complete && image.naturalWidth === 192)"
        )
        sync_api.expect(page.locator("#histograms")).to_contain_text("sersic_n")
        screenshot(page, "search-by-image.png")
        page.select_option("#index", "index")  # back to light curves: the image query is not
        sync_api.expect(page.locator("#status")).to_contain_text("an index of light curves")
        sync_api.expect(page.locator("#results")).to_be_hidden()
