"""Similarity search: every query kind against an exact oracle, filters, duplicates, anomalies."""

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from astrolens.catalog import Catalog, InvalidCoordinates, UnknownObject
from astrolens.errors import IndexMismatch
from astrolens.index import FaissIndex, build_index
from astrolens.modalities.lightcurve import LightCurveModality
from astrolens.periodogram import PeriodogramConfig
from astrolens.search import Filters, SearchConfig, SimilaritySearch, parameter_distributions
from astrolens.search.domain import ClassStatistics, LoneDip, PeriodCoverage
from astrolens.search.periods import PERIOD_MULTIPLES
from astrolens.simulate import SurveyConfig, generate_catalog, lightcurve
from astrolens.simulate.export import write_fits

DIMENSION = 16
RARE = "MIRA"
NO_DEDUP = SearchConfig(duplicate_radius_arcsec=None)
KEPLER_LONG_DAYS = 29.4244 / (24 * 60)


@pytest.fixture(scope="module")
def survey():
    """600 objects; each class a cluster of embeddings, the rare class (12 objects) a tight one."""
    config = SurveyConfig(
        name="search-test",
        n_objects=600,
        seed=7,
        class_weights={"RRab": 1, "EA": 1, "ROT": 1, "TRANSIT": 1, RARE: 0.08},
    )
    table = generate_catalog(config)
    rng = np.random.default_rng(12)
    classes = sorted(table["class"].unique())
    centres = {name: rng.normal(0, 3.0, DIMENSION) for name in classes}
    widths = {name: 0.5 if name == RARE else 2.0 for name in classes}
    vectors = np.stack(
        [centres[name] + rng.normal(0, widths[name], DIMENSION) for name in table["class"]]
    ).astype(np.float32)
    return table, vectors


@pytest.fixture(scope="module")
def index(survey):
    table, vectors = survey
    return build_index(vectors, table["object_id"], run="test", factory="Flat", progress=False)


@pytest.fixture(scope="module")
def search(survey, index):
    table, vectors = survey
    offset = np.linspace(-0.1, 0.1, DIMENSION, dtype=np.float32)
    rows = {object_id: number for number, object_id in enumerate(table["object_id"])}

    encoder = StoredEmbeddings(lambda item: vectors[rows[item.meta["object_id"]]] + offset)
    return SimilaritySearch(index, Catalog(table), encoder=encoder, config=NO_DEDUP)


class StoredEmbeddings:
    """A query encoder that reads light curves as astrolens does and embeds them with
    ``embed(item)`` (here: the stored embedding of the light curve's object, shifted a little)."""

    def __init__(self, embed):
        self.modality = LightCurveModality()
        self.embed = embed

    def load(self, source, *, label=None):
        return self.modality.load(source, label=label)

    def embed_item(self, item):
        return self.embed(item)

    def picture(self, item):
        return self.modality.picture(item)


class ObservedEmbeddings(StoredEmbeddings):
    """:class:`StoredEmbeddings` that also say how a light curve was observed, as a trained run
    does (``sampling``: epochs, baseline, spacing)."""

    def sampling(self, item):
        return self.modality.sampling(item)


class MeasuredEmbeddings(ObservedEmbeddings):
    """:class:`ObservedEmbeddings` that also give the measurements as observed (``samples``),
    as a trained run of light curves does."""

    def samples(self, item):
        return self.modality.samples(item)


def oracle(vectors, query, allowed):
    """Positions of the allowed vectors by exact distance to ``query``, and the distances."""
    distances = np.sqrt(((vectors.astype(np.float64) - query) ** 2).sum(axis=1))
    distances[~allowed] = np.inf
    order = np.argsort(distances, kind="stable")[: int(allowed.sum())]
    return order, distances[order]


def everything_but(n, *positions):
    allowed = np.ones(n, dtype=bool)
    allowed[list(positions)] = False
    return allowed


def assert_matches(result, table, positions, distances):
    assert result.matches["object_id"].tolist() == table["object_id"].iloc[positions].tolist()
    np.testing.assert_allclose(result.matches["distance"], distances, rtol=1e-5, atol=1e-5)


# -- query kinds -------------------------------------------------------------------------------


def test_by_object_leaves_itself_out_and_equals_the_oracle(search, survey):
    table, vectors = survey
    result = search.by_object(table["object_id"][33], k=10)
    positions, distances = oracle(vectors, vectors[33], everything_but(len(table), 33))
    assert_matches(result, table, positions[:10], distances[:10])
    assert result.query.kind == "object" and result.query.row.equals(table.iloc[33])
    assert result.matches["rank"].tolist() == list(range(1, 11)) and len(result) == 10


def test_results_carry_every_catalogue_column(search, survey, tmp_path):
    table, _ = survey
    result = search.by_object(table["object_id"][3], k=5)
    assert list(result.matches.columns) == ["rank", "distance", *table.columns]
    rows = table.set_index("object_id").loc[result.matches["object_id"]].reset_index()
    pd.testing.assert_frame_equal(result.matches[table.columns], rows[table.columns])
    astropy_table = result.to_table()
    assert astropy_table.colnames == list(result.matches.columns)
    assert astropy_table["period_days"].unit == u.day and astropy_table["ra"].unit == u.deg
    np.testing.assert_array_equal(astropy_table["distance"], result.matches["distance"])
    path = result.to_csv(tmp_path / "matches.csv")
    again = pd.read_csv(path, keep_default_na=False, na_values=[""])
    assert again["object_id"].tolist() == result.matches["object_id"].tolist()
    np.testing.assert_allclose(again["distance"], result.matches["distance"], rtol=1e-12)


def test_a_result_reads_its_rows_without_building_the_table(search, survey):
    table, _ = survey
    result = search.by_object(table["object_id"][3], k=6)
    assert "matches" not in vars(result)  # not built yet
    assert result.object_ids == table["object_id"].iloc[result.rows].tolist()
    assert result.columns == ["rank", "distance", *table.columns]
    assert result.column("rank").tolist() == list(range(1, 7))
    np.testing.assert_array_equal(result.column("mag"), table["mag"].to_numpy()[result.rows])
    records = result.records()
    assert "matches" not in vars(result)
    frame = result.matches.to_numpy(dtype=object).tolist()
    assert len(records) == len(frame) == 6
    for ours, theirs in zip(records, frame, strict=True):
        assert [value for value in ours if value == value] == [v for v in theirs if v == v]
        assert [value != value for value in ours] == [v != v for v in theirs]  # NaN where NaN


@pytest.mark.parametrize("form", ["degrees", "hmsdms", "colons"])
def test_by_coordinates_searches_around_the_object_there(search, survey, form):
    table, _ = survey
    row = table.iloc[250]
    position = SkyCoord(row["ra"] * u.deg, row["dec"] * u.deg).directional_offset_by(
        0 * u.deg, 1.0 * u.arcsec
    )
    coordinates = {
        "degrees": (position.ra.deg, position.dec.deg),
        "hmsdms": position.to_string("hmsdms", precision=3),
        "colons": position.to_string("hmsdms", sep=":", precision=3),
    }[form]
    result = search.by_coordinates(coordinates, k=7)
    by_id = search.by_object(row["object_id"], k=7)
    assert result.matches["object_id"].tolist() == by_id.matches["object_id"].tolist()
    assert result.query.object_ids == (row["object_id"],)
    assert result.query.separation_arcsec == pytest.approx(1.0, abs=0.01)
    assert row["object_id"] not in result.matches["object_id"].tolist()


def test_by_coordinates_with_nothing_there_or_nonsense(search, survey):
    table, _ = survey
    far = (table["ra"][0] + 1.0, table["dec"][0])
    with pytest.raises(UnknownObject, match=r"within 5\.0 arcsec"):
        search.by_coordinates(far)
    with pytest.raises(InvalidCoordinates, match="cannot read sky coordinates"):
        search.by_coordinates("19h22m +99d")


def test_by_lightcurve_embeds_it_and_leaves_its_object_out(search, survey, tmp_path):
    table, vectors = survey
    row = table.iloc[77]
    light_curve = lightcurve(row)
    path = write_fits(row, tmp_path)
    query = search.encoder.embed_item(search.encoder.load(light_curve))
    positions, distances = oracle(vectors, query, everything_but(len(table), 77))
    for given_as in (light_curve, path, str(path)):
        result = search.by_lightcurve(given_as, k=6)
        assert_matches(result, table, positions[:6], distances[:6])
        assert result.query.object_ids == (row["object_id"],)
        assert result.query.mag == pytest.approx(row["mag"], abs=1e-3)  # FITS: 3 decimals


def test_a_light_curve_query_says_how_it_compares_with_the_survey(index, survey, tmp_path):
    table, vectors = survey
    rows = {object_id: number for number, object_id in enumerate(table["object_id"])}
    shift = {"near": 0.05, "far": 60.0}

    def search_with(kind):
        def embed(item):
            return vectors[rows[item.meta["object_id"]]] + shift[kind]

        encoder = StoredEmbeddings(embed)
        return SimilaritySearch(index, Catalog(table), encoder=encoder, config=NO_DEDUP)

    path = write_fits(table.iloc[7], tmp_path)
    near = search_with("near").by_lightcurve(path, k=5).domain
    assert near.in_domain and near.warning is None and 0 <= near.percentile < 0.99
    far_search = search_with("far")
    far = far_search.by_lightcurve(path, k=5).domain
    assert not far.in_domain and far.percentile == 1.0 and far.distance > 10 * far.survey_median
    assert "farther than those of 99% of the survey's own objects" in far.warning
    reference = far_search.novelty
    assert far_search.novelty is reference and reference.sampled == len(table)
    assert reference.k == far.k == 10 and (np.diff(reference.distances) >= 0).all()
    assert far_search.by_object(table["object_id"][7], k=5).domain is None  # catalogued: known


def test_by_lightcurve_needs_a_working_encoder(index, survey):
    table, _ = survey
    light_curve = lightcurve(table.iloc[0])
    with pytest.raises(ValueError, match="needs an encoder"):
        SimilaritySearch(index, Catalog(table)).by_lightcurve(light_curve)
    encoder = StoredEmbeddings(lambda item: np.zeros(3))
    wrong = SimilaritySearch(index, Catalog(table), encoder=encoder)
    with pytest.raises(ValueError, match="must be 16 finite numbers"):
        wrong.by_lightcurve(light_curve)


def test_by_vector_equals_the_oracle(search, survey):
    table, vectors = survey
    query = np.random.default_rng(5).normal(0, 3, DIMENSION)
    result = search.by_vector(query, k=12)
    positions, distances = oracle(vectors, query, np.ones(len(table), dtype=bool))
    assert_matches(result, table, positions[:12], distances[:12])
    with pytest.raises(ValueError, match="mag_window needs the query's magnitude"):
        search.by_vector(query, filters=Filters(mag_window=0.5))
    near_12 = search.by_vector(query, k=5, filters=Filters(mag_window=0.5), mag=12.0)
    assert len(near_12) == 5 and near_12.matches["mag"].between(11.5, 12.5).all()


def test_random_is_seeded(search, survey):
    table, _ = survey
    first, again = search.random(k=4, seed=3), search.random(k=4, seed=3)
    assert first.query.object_ids == again.query.object_ids
    assert first.matches["object_id"].tolist() == again.matches["object_id"].tolist()
    assert first.query.object_ids[0] in set(table["object_id"])
    assert first.query.object_ids[0] not in first.matches["object_id"].tolist()
    others = {search.random(seed=seed).query.object_ids for seed in range(5)}
    assert len(others) > 1


@pytest.mark.parametrize("k", [1, 5, 40])
def test_k_neighbours(search, survey, k):
    table, _ = survey
    assert len(search.by_object(table["object_id"][0], k=k)) == k
    with pytest.raises(ValueError, match="k must be at least 1"):
        search.by_object(table["object_id"][0], k=0)


# -- several examples --------------------------------------------------------------------------


@pytest.mark.parametrize("combine", ["centroid", "rrf"])
def test_several_examples_find_the_rare_class(search, survey, combine):
    table, _ = survey
    rare = table["object_id"][table["class"] == RARE].tolist()
    assert len(rare) == 12
    examples = rare[:4]
    result = search.by_examples(examples, k=len(rare) - 4, combine=combine)
    assert set(result.matches["object_id"]) == set(rare[4:])
    assert result.query.object_ids == tuple(examples)


def test_centroid_query_is_the_mean_of_the_examples(search, survey):
    table, vectors = survey
    picked = [10, 20, 30]
    result = search.by_examples([table["object_id"][10], vectors[20], table["object_id"][30]], k=8)
    centre = vectors[picked].mean(axis=0)
    np.testing.assert_allclose(result.query.vectors[0], centre, rtol=1e-6)
    positions, distances = oracle(vectors, centre, everything_but(len(table), 10, 30))
    assert_matches(result, table, positions[:8], distances[:8])


def test_rrf_scores_and_distances(search, survey):
    table, vectors = survey
    result = search.by_examples([table["object_id"][1], table["object_id"][2]], k=10, combine="rrf")
    scores = result.matches["rrf_score"].to_numpy()
    assert np.all(np.diff(scores) <= 0) and scores[0] <= 2 / 61
    matched = vectors[table.set_index("object_id").index.get_indexer(result.matches["object_id"])]
    nearest = np.min([np.linalg.norm(matched - vectors[i], axis=1) for i in (1, 2)], axis=0)
    np.testing.assert_allclose(result.matches["distance"], nearest, rtol=1e-5)
    with pytest.raises(ValueError, match="combine must be one of"):
        search.by_examples([table["object_id"][1]], combine="vote")
    with pytest.raises(ValueError, match="at least one example"):
        search.by_examples([])


def test_several_uploaded_light_curves_are_one_query_around_their_centroid(
    search, survey, tmp_path
):
    table, vectors = survey
    offset = np.linspace(-0.1, 0.1, DIMENSION, dtype=np.float32)  # the encoder's shift
    paths = [write_fits(table.iloc[number], tmp_path) for number in (40, 41, 42)]
    result = search.by_inputs(paths, k=7, labels=["a.fits", "b.fits", "c.fits"])
    centre = vectors[[40, 41, 42]].mean(axis=0) + offset
    np.testing.assert_allclose(result.query.vectors[0], centre, rtol=1e-5, atol=1e-6)
    positions, distances = oracle(vectors, centre, everything_but(len(table), 40, 41, 42))
    assert_matches(result, table, positions[:7], distances[:7])
    assert result.query.kind == "examples" and result.query.label == "3 light curves (centroid)"
    assert result.query.object_ids == tuple(table["object_id"].iloc[[40, 41, 42]])
    assert result.query.mag == pytest.approx(np.median(table["mag"].iloc[[40, 41, 42]]), abs=1e-3)
    single = search.by_inputs(paths[:1], k=7)
    expected = search.by_lightcurve(paths[0], k=7)
    assert single.matches["object_id"].tolist() == expected.matches["object_id"].tolist()
    fused = search.by_inputs(paths[:2], k=5, combine="rrf")
    assert fused.query.vectors.shape == (2, DIMENSION) and "rrf_score" in fused.matches
    with pytest.raises(ValueError, match="2 labels for 3 inputs"):
        search.by_inputs(paths, labels=["a", "b"])
    with pytest.raises(ValueError, match="at least one input"):
        search.by_inputs([])
    with pytest.raises(ValueError, match="combine must be one of"):
        search.by_inputs(paths, combine="vote")


def test_several_uploads_carry_each_ones_doubts_under_its_name(index, survey, tmp_path):
    table, vectors = survey
    rows = {object_id: number for number, object_id in enumerate(table["object_id"])}
    far = {table["object_id"][8]}  # this one is embedded far from every survey object

    def embed(item):
        object_id = item.meta["object_id"]
        return vectors[rows[object_id]] + (60.0 if object_id in far else 0.05)

    search = SimilaritySearch(
        index, Catalog(table), encoder=StoredEmbeddings(embed), config=NO_DEDUP
    )
    paths = [write_fits(table.iloc[number], tmp_path) for number in (7, 8)]
    domain = search.by_inputs(paths, k=5, labels=["near.fits", "far.fits"]).domain
    assert not domain.in_domain and domain.percentile == 1.0
    far_name = f"{table['object_id'][8]}: "  # an input is named by its object, else its label
    assert domain.reasons and all(reason.startswith(far_name) for reason in domain.reasons)
    both_near = search.by_inputs(paths[:1] * 2, k=5).domain
    assert both_near.in_domain and both_near.percentile < 0.99


def _written(path, time, flux, noise):
    pd.DataFrame({"time": time, "flux": flux, "flux_err": noise}).to_csv(path, index=False)
    return path


def test_matches_with_periods_the_light_curve_cannot_show_are_said(index, survey, tmp_path):
    """Every query is embedded among the Miras (periods 160-537 d): a 90-day random walk at
    Kepler cadence cannot show their periods, eight years of nightly epochs can."""
    table, vectors = survey
    centre = vectors[table["class"].to_numpy() == RARE].mean(axis=0)

    def search_over(catalogue):
        encoder = ObservedEmbeddings(lambda item: centre)
        return SimilaritySearch(index, Catalog(catalogue), encoder=encoder, config=NO_DEDUP)

    rng = np.random.default_rng(9)
    quarter = np.arange(0.0, 90.0, KEPLER_LONG_DAYS)
    walk = np.cumsum(rng.normal(0.0, 2e-4, quarter.size)) + rng.normal(0.0, 5e-4, quarter.size)
    walk_path = _written(tmp_path / "walk.csv", quarter, 1.0 + walk, 5e-4)
    nights = np.sort(rng.uniform(0.0, 8 * 365.25, 1000))
    mira = 1.0 + 0.5 * np.sin(2 * np.pi * nights / 300.0) + rng.normal(0.0, 0.01, nights.size)
    years_path = _written(tmp_path / "eight-years.csv", nights, mira, 0.01)

    short = search_over(table).by_lightcurve(walk_path, k=10)
    periods = short.column("period_days")
    assert set(short.column("class")) == {RARE} and periods.min() > 150.0
    median = np.median(periods)
    assert short.domain.reasons == (
        "10 of its 10 matches vary with periods longer than this light curve can show "
        f"(median {median:.0f} d; its 90-day baseline shows periods up to 45 d): their class "
        "is read from part of a cycle",
    )
    assert short.domain.warning.endswith("their class is read from part of a cycle")
    long = search_over(table).by_lightcurve(years_path, k=10)
    assert long.object_ids == short.object_ids  # the same matches, their periods seen
    assert long.domain.in_domain and long.domain.reasons == ()
    without = search_over(table.assign(period_days=np.nan)).by_lightcurve(walk_path, k=10)
    assert without.object_ids == short.object_ids and without.domain.reasons == ()


def test_a_lone_dip_answered_with_periodic_transits_is_said_when_the_run_gives_measurements(
    index, survey, tmp_path
):
    """Every query is embedded among the transiting planets: one 1 % dip in a 27-day sector does
    not come back where their period puts it; transits every that period do."""
    table, vectors = survey
    centre = vectors[table["class"].to_numpy() == "TRANSIT"].mean(axis=0)

    def search_with(encoder_class):
        encoder = encoder_class(lambda item: centre)
        return SimilaritySearch(index, Catalog(table), encoder=encoder, config=NO_DEDUP)

    rng = np.random.default_rng(4)
    sector = np.arange(0.0, 27.0, 2.0 / (24 * 60))
    noise = rng.normal(0.0, 5e-4, sector.size)
    lone = _written(
        tmp_path / "lone.csv", sector, 1.0 - 0.01 * (abs(sector - 11.0) < 0.1) + noise, 5e-4
    )
    result = search_with(MeasuredEmbeddings).by_lightcurve(lone, k=10)
    assert set(result.column("class")) == {"TRANSIT"}
    period = float(np.median(result.column("period_days")))
    assert 0.5 < period < 13.5 / 2  # its returns fall in the sector
    said = [reason for reason in result.domain.reasons if reason.startswith("its only dip")]
    assert len(said) == 1 and not result.domain.in_domain, result.domain.reasons
    assert said[0].startswith("its only dip (at t = 11.00 d, 0.2 d long) does not come back")
    short = np.sum(result.column("period_days") < 13.5 - 0.2)  # each returns within the sector
    assert f"where the periods of {short} of its 10 matches put it" in said[0]
    assert said[0] in result.domain.warning
    phase = (sector - 11.0 + period / 2) % period - period / 2
    repeating = 1.0 - 0.01 * (abs(phase) < 0.1) + noise
    periodic = _written(tmp_path / "periodic.csv", sector, repeating, 5e-4)
    again = search_with(MeasuredEmbeddings).by_lightcurve(periodic, k=10)
    assert again.object_ids == result.object_ids and again.domain.reasons == ()
    unmeasured = search_with(ObservedEmbeddings).by_lightcurve(lone, k=10)
    assert unmeasured.object_ids == result.object_ids and unmeasured.domain.reasons == ()


def test_a_lone_dip_is_judged_only_where_its_returns_were_observed():
    rng = np.random.default_rng(8)
    time = np.arange(0.0, 27.0, 2.0 / (24 * 60))
    noise = rng.normal(0.0, 5e-4, time.size)
    dip = np.abs(time - 13.2) < 0.15
    lone = 1.0 - 0.01 * dip + noise
    check = LoneDip()
    (reason,) = check.reasons(time, lone, [5.0, 5.2, 4.8])
    assert "3 of its 3 matches put it (median 5 d; at 5 d" in reason
    assert "observed 4 of the 4 stretches" in reason  # at 3.2, 8.2, 18.2 and 23.2 d
    assert check.reasons(time, 1.0 + 0.01 * dip + noise, [5.0] * 3) == ()  # a rise: a flare
    assert check.reasons(time, lone, [5.0] + [np.nan] * 5) == ()  # under a fifth of the matches
    assert check.reasons(time, lone, [13.3] * 3) == ()  # -0.1 and 26.5 d: beyond the ends
    assert check.reasons(time, lone, [0.5] * 3) == ()  # longer than half a period
    gaps = (np.abs(time - 8.2) > 0.5) & (np.abs(time - 18.2) > 0.5)
    assert check.reasons(time[gaps], lone[gaps], [5.0] * 3) != ()  # 3.2 and 23.2 d seen
    holes = gaps & (np.abs(time - 3.2) > 0.5) & (np.abs(time - 23.2) > 0.5)
    assert check.reasons(time[holes], lone[holes], [5.0] * 3) == ()  # no return observed
    twice = lone - 0.01 * (np.abs(time - 18.2) < 0.15)
    assert check.reasons(time, twice, [5.0] * 3) == ()  # it came back: not one dip
    passages = np.abs((time - 13.2 + 3.0) % 6.0 - 3.0) < 0.15  # every 6 d
    quiet = np.where(passages, 0.0, noise)  # noiseless passages: which epochs are low is known
    deepest = 1.0 - 0.004 * dip + quiet  # 8 times the scatter: low
    assert check.reasons(time, deepest, [5.0] * 3) != ()
    shallower = deepest - 0.0022 * (passages & ~dip)  # 4.4 times the scatter: not low
    assert check.reasons(time, shallower, [5.0] * 3) == ()  # dips too: it comes back every 6 d
    stray = lone.copy()
    stray[[720, 721]] -= 0.01  # two low epochs at 1 d, far from the dip: noise
    assert check.reasons(time, stray, [5.0] * 3) != ()
    stray[722:740] -= 0.01  # twenty: a second dip
    assert check.reasons(time, stray, [5.0] * 3) == ()
    shallow = 1.0 - 0.001 * dip + noise  # twice the scatter: no dip
    assert check.reasons(time, shallow, [5.0] * 3) == ()
    trough = 1.0 - 0.002 * np.exp(-(((time - 13.2) / 1.0) ** 2))  # a few noise points below
    assert 3 <= np.sum(trough + noise < 1.0 - 5 * 5e-4) < 0.5 * np.sum(np.abs(time - 13.2) < 1.0)
    assert check.reasons(time, trough + noise, [5.0] * 3) == ()
    sine = 1.0 + 0.01 * np.sin(2 * np.pi * time / 5.0) + noise
    assert check.reasons(time, sine, [5.0] * 3) == ()
    slow = 1.0 + 0.003 * np.sin(2 * np.pi * time / 20.0)  # one deep minimum of a slow variable
    assert check.reasons(time, slow - 0.01 * dip + noise, [5.0] * 3) == ()  # not a quiet star
    assert check.reasons(time, slow + noise, [50.0] * 3) == ()
    assert check.reasons(
        time, 1.0 + 0.0005 * np.sin(2 * np.pi * time / 20.0) - 0.01 * dip + noise, [5.0] * 3
    )


def test_period_coverage_needs_half_of_every_match_beyond_what_the_baseline_shows():
    coverage = PeriodCoverage()
    assert coverage.min_cycles == PeriodogramConfig().min_cycles == 2.0
    (reason,) = coverage.reasons(90.0, [100.0, 200.0, np.nan, 3.0])
    assert reason.startswith("2 of its 4 matches vary with periods longer")
    assert "(median 150 d; its 90-day baseline shows periods up to 45 d)" in reason
    assert coverage.reasons(90.0, [100.0, np.nan, np.nan, 3.0]) == ()  # 1 of 4: not most
    assert coverage.reasons(90.0, [45.0, 44.0]) == ()  # two cycles of 45 d fit in 90 d
    assert coverage.reasons(90.0, [np.nan] * 10) == ()  # no periods: nothing to say
    assert coverage.reasons(float("nan"), [100.0]) == coverage.reasons(0.0, [100.0]) == ()
    assert PeriodCoverage(min_cycles=1.0).reasons(90.0, [60.0, 80.0]) == ()
    (reason,) = coverage.reasons(2000.0, [1500.0, 1600.0])
    assert "(median 1,550 d; its 2,000-day baseline shows periods up to 1,000 d)" in reason


# -- filters -----------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    classes=st.none()
    | st.lists(st.sampled_from(["RRab", "EA", "ROT", "TRANSIT", RARE]), min_size=1, max_size=3),
    mission=st.sampled_from([None, "Kepler", "TESS"]),
    mag_window=st.none() | st.floats(0.2, 3.0),
    period_range=st.none() | st.tuples(st.floats(0.1, 2.0), st.floats(2.0, 50.0)),
    k=st.integers(1, 30),
    query=st.integers(0, 599),
    exact_subset_max=st.sampled_from([0, 40, 100_000]),
)
def test_filters_give_exactly_k_exact_matches(
    index, survey, classes, mission, mag_window, period_range, k, query, exact_subset_max
):
    table, vectors = survey
    config = SearchConfig(duplicate_radius_arcsec=None, exact_subset_max=exact_subset_max)
    search = SimilaritySearch(index, Catalog(table), config=config)
    filters = Filters(
        classes=classes,
        missions=mission,
        mag_window=mag_window,
        ranges={} if period_range is None else {"period_days": period_range},
    )
    result = search.by_object(table["object_id"][query], k=k, filters=filters)
    allowed = everything_but(len(table), query)
    if classes is not None:
        allowed &= table["class"].isin(classes).to_numpy()
    if mission is not None:
        allowed &= (table["mission"] == mission).to_numpy()
    if mag_window is not None:
        allowed &= (table["mag"] - table["mag"][query]).abs().to_numpy() <= mag_window
    if period_range is not None:
        allowed &= table["period_days"].between(*period_range).to_numpy()
    positions, distances = oracle(vectors, vectors[query], allowed)
    assert len(result) == min(k, int(allowed.sum()))
    assert_matches(result, table, positions[:k], distances[:k])


def test_an_approximate_index_still_gives_k_matches_under_a_strict_filter(survey):
    table, vectors = survey
    ivf = build_index(
        vectors, table["object_id"], run="test", factory="IVF8,Flat", nprobe=1, progress=False
    )
    search = SimilaritySearch(ivf, Catalog(table), config=SearchConfig(exact_subset_max=0))
    query = int(np.flatnonzero(table["class"] == "EA")[0])
    result = search.by_object(table["object_id"][query], k=8, filters=Filters(classes=RARE))
    assert len(result) == 8 and (result.matches["class"] == RARE).all()
    everything = search.by_object(table["object_id"][query], k=11, filters=Filters(classes=RARE))
    assert set(everything.matches["class"]) == {RARE} and len(everything) == 11
    assert (
        len(search.by_object(table["object_id"][query], k=50, filters=Filters(classes=RARE))) == 12
    )  # fewer pass than asked for: all of them


@pytest.mark.parametrize(
    "filters",
    [
        Filters(classes=RARE),  # selective, class: filtered inside the index
        Filters(missions="Kepler"),  # half pass: checked on the neighbours
        Filters(ranges={"period_days": (0.1, 1.0)}),  # a range: checked, then in the index
        Filters(classes=["EA", RARE], ranges={"mag": (None, 13.0)}),
    ],
    ids=["rare class", "mission", "period range", "class and magnitude"],
)
def test_every_filter_path_of_an_ivf_index_keeps_only_what_passes(survey, filters):
    table, vectors = survey
    ivf = build_index(
        vectors, table["object_id"], run="test", factory="IVF8,Flat", nprobe=1, progress=False
    )
    catalog = Catalog(table)
    search = SimilaritySearch(ivf, catalog, config=SearchConfig(exact_subset_max=0))
    passing = filters.mask(catalog)
    for query in (0, 100, 250, 599):  # of every class, near to the filter or far from it
        result = search.by_object(table["object_id"][query], k=10, filters=filters)
        expected = min(10, int(passing.sum()) - int(passing[query]))
        assert len(result) == expected
        assert passing[result.rows].all() and query not in result.rows
        assert (np.diff(result.matches["distance"]) >= 0).all()


@pytest.mark.parametrize("exact_subset_max", [0, 20_000], ids=["in the index", "exact subsets"])
def test_a_filter_answers_the_same_whether_its_masks_were_kept_or_not(survey, exact_subset_max):
    """The catalogue, the search and the index keep what a filter asked again needs (masks,
    counts, bitmaps, the vectors of a subset searched exactly); which path a filter takes does
    not depend on it, so a search that kept them and a fresh one answer alike, a magnitude
    window (not kept: it moves with the query) included."""
    table, vectors = survey
    ivf = build_index(
        vectors, table["object_id"], run="test", factory="IVF8,Flat", nprobe=1, progress=False
    )
    config = SearchConfig(exact_subset_max=exact_subset_max)
    warm = SimilaritySearch(ivf, Catalog(table), config=config)
    cases = [
        Filters(classes=RARE),
        Filters(ranges={"period_days": (0.1, 1.0)}),
        Filters(missions="Kepler", ranges={"period_days": (1.0, None)}),
        Filters(mag_window=1.0),
        Filters(classes=["EA", "RRab"], mag_window=1.0),
    ]
    queries = table["object_id"][::6]
    for filters in cases:
        for object_id in queries:
            warm.by_object(object_id, k=10, filters=filters)
    for filters in cases:
        fresh = SimilaritySearch(ivf, Catalog(table), config=config)
        for object_id in queries:
            expected = fresh.by_object(object_id, k=10, filters=filters)
            again = warm.by_object(object_id, k=10, filters=filters)
            assert again.rows.tolist() == expected.rows.tolist()
            assert np.allclose(again.matches["distance"], expected.matches["distance"])


def test_filter_errors(search, survey):
    table, _ = survey
    with pytest.raises(ValueError, match="no column 'colour'"):
        search.by_object(table["object_id"][0], filters=Filters(ranges={"colour": (0, 1)}))
    with pytest.raises(ValueError, match="mag_window must be non-negative"):
        Filters(mag_window=-1)
    with pytest.raises(ValueError, match="min 5 is larger than max 1"):
        Filters(ranges={"period_days": (5, 1)})
    with pytest.raises(ValueError, match="NaN is not a bound"):
        Filters(ranges={"period_days": (float("nan"), 1)})
    with pytest.raises(ValueError, match="expected"):
        Filters(ranges={"period_days": ("short", None)})
    with pytest.raises(ValueError, match="class 'NOPE'"):
        search.by_object(table["object_id"][0], filters=Filters(classes="NOPE"))


def test_the_query_objects_row_is_read_when_first_asked_for(search, survey):
    table, _ = survey
    result = search.by_object(table["object_id"][5], k=3)
    assert "row" not in vars(result.query)  # ids and distances do not need it
    assert result.query.row.equals(table.iloc[5])
    assert result.query.mag == pytest.approx(table["mag"][5])
    assert result.query.sky == ((table["ra"][5], table["dec"][5]),)


# -- sky duplicates ----------------------------------------------------------------------------


def _moved(table, number, target, arcsec):
    """``table`` with object ``number`` put ``arcsec`` north of object ``target``."""
    position = SkyCoord(table["ra"][target] * u.deg, table["dec"][target] * u.deg)
    moved = position.directional_offset_by(0 * u.deg, arcsec * u.arcsec)
    table.loc[number, ["ra", "dec"]] = [moved.ra.deg, moved.dec.deg]


def test_sky_duplicates_keep_the_nearest_in_embedding_space(survey, index):
    table, vectors = survey
    query = 100
    neighbours, _ = oracle(vectors, vectors[query], everything_but(len(table), query))
    first, second, third = neighbours[:3]
    moved = table.copy()
    _moved(moved, third, first, 0.5)  # the 3rd neighbour sits on top of the 1st
    _moved(moved, second, query, 1.0)  # the 2nd sits on top of the query itself
    result = SimilaritySearch(index, Catalog(moved)).by_object(table["object_id"][query], k=10)
    found = result.matches["object_id"].tolist()
    assert table["object_id"][first] in found
    assert table["object_id"][second] not in found and table["object_id"][third] not in found
    assert (
        found
        == table["object_id"]
        .iloc[[n for n in neighbours if n not in (second, third)][:10]]
        .tolist()
    )
    sky = SkyCoord(
        result.matches["ra"].to_numpy() * u.deg, result.matches["dec"].to_numpy() * u.deg
    )
    separations = sky[:, None].separation(sky[None, :]).arcsec
    assert separations[~np.eye(10, dtype=bool)].min() > 2.0
    kept = SimilaritySearch(index, Catalog(moved), config=NO_DEDUP)
    all_found = kept.by_object(table["object_id"][query], k=10).matches["object_id"].tolist()
    assert {table["object_id"][second], table["object_id"][third]} <= set(all_found)


def _without_duplicates_greedily(table, query, neighbours, k=10):
    """The oracle: the ranking walked in order, keeping a candidate more than 2 arcsec from the
    query and from every candidate kept before it."""
    sky = SkyCoord(table["ra"].to_numpy() * u.deg, table["dec"].to_numpy() * u.deg)
    kept: list[int] = []
    for candidate in neighbours:
        if sky[candidate].separation(sky[[query, *kept]]).arcsec.min() > 2.0:
            kept.append(candidate)
        if len(kept) == k:
            break
    return table["object_id"].iloc[kept].tolist()


def _with_moves(table, query, neighbours, moves):
    """``table`` with each neighbour ``number`` put ``arcsec`` north of neighbour ``target``
    (-1: of the query), in turn."""
    moved = table.copy()
    for number, target, arcsec in moves:
        target_row = query if target < 0 else neighbours[target]
        if neighbours[number] != target_row:
            _moved(moved, neighbours[number], target_row, arcsec)
    return moved


@pytest.mark.parametrize(
    ("moves", "kept", "dropped"),
    [
        # the 2nd sits on the query, the 3rd 1.2" from the 2nd but 2.4" from the query: kept
        ([(1, -1, 1.2), (2, 1, 1.2)], [2], [1]),
        # 12 on the query fill the first block of 20 candidates; the 21st sits on the 1st
        ([*((n, -1, 0.3) for n in range(1, 13)), (20, 0, 0.8)], [0, 13, 21], [1, 12, 20]),
    ],
)
def test_a_sky_duplicate_is_one_of_the_query_or_of_a_match_kept(
    survey, index, moves, kept, dropped
):
    table, vectors = survey
    query = 100
    neighbours, _ = oracle(vectors, vectors[query], everything_but(len(table), query))
    moved = _with_moves(table, query, neighbours, moves)
    result = SimilaritySearch(index, Catalog(moved)).by_object(table["object_id"][query], k=10)
    found = result.matches["object_id"].tolist()
    assert found == _without_duplicates_greedily(moved, query, neighbours)
    assert set(table["object_id"].iloc[neighbours[kept]]) <= set(found)
    assert not set(table["object_id"].iloc[neighbours[dropped]]) & set(found)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 24), st.integers(-1, 24), st.sampled_from([0.3, 0.8, 1.2, 2.9])),
        min_size=1,
        max_size=16,
    )
)
def test_sky_duplicates_are_what_a_greedy_pass_over_the_ranking_drops(survey, index, moves):
    table, vectors = survey
    query = 100
    neighbours, _ = oracle(vectors, vectors[query], everything_but(len(table), query))
    moved = _with_moves(table, query, neighbours, moves)
    sky = SkyCoord(moved["ra"].to_numpy() * u.deg, moved["dec"].to_numpy() * u.deg)
    near = [query, *neighbours[:25]]
    separations = sky[near][:, None].separation(sky[near][None, :]).arcsec
    assume(np.abs(separations - 2.0).min() > 0.01)  # no pair on the radius itself
    result = SimilaritySearch(index, Catalog(moved)).by_object(table["object_id"][query], k=10)
    assert result.matches["object_id"].tolist() == _without_duplicates_greedily(
        moved, query, neighbours
    )


# -- parameters and anomalies ------------------------------------------------------------------


def test_parameter_distributions_equal_numpy_percentiles(search, survey):
    table, _ = survey
    result = search.by_object(table["object_id"][200], k=25)
    summary = result.parameters()
    assert "period_days" in summary.index and "ra" not in summary.index
    for column in Catalog(table).physical_columns:
        values = result.matches[column].to_numpy(dtype=float)
        if np.isnan(values).all():
            assert column not in summary.index
            continue
        expected = np.nanpercentile(values, [16, 50, 84])
        got = summary.loc[column, ["p16", "median", "p84"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert summary.loc[column, "n"] == np.isfinite(values).sum()
        truth = table[column][200]
        assert summary.loc[column, "query"] == truth or np.isnan(truth)
    chosen = parameter_distributions(result.matches, ["period_days", "nu_max_uhz"])
    assert chosen.index.tolist() == ["period_days", "nu_max_uhz"]


def test_anomaly_scores_are_the_distance_to_the_kth_neighbour(search, survey):
    table, vectors = survey
    scores = search.anomaly_scores(k=5, batch_size=128)
    assert scores.index.tolist() == table["object_id"].tolist()
    for number in (0, 99, 598):
        _, distances = oracle(vectors, vectors[number], everything_but(len(table), number))
        assert scores.iloc[number] == pytest.approx(distances[4], rel=1e-5)
    some = search.anomaly_scores(k=5, object_ids=table["object_id"][[7, 3]].tolist())
    np.testing.assert_allclose(some.to_numpy(), scores.iloc[[7, 3]].to_numpy())
    with pytest.raises(ValueError, match="k must be between 1 and 599"):
        search.anomaly_scores(k=600)


def test_least_similar_finds_an_outlier(survey):
    table, vectors = survey
    odd = vectors.copy()
    odd[321] += 40.0
    search = SimilaritySearch(
        build_index(odd, table["object_id"], run="test", progress=False), Catalog(table)
    )
    result = search.least_similar(n=5, k=3)
    assert result.matches["object_id"][0] == table["object_id"][321]
    assert np.all(np.diff(result.matches["anomaly_score"]) <= 0) and len(result) == 5
    scores = search.anomaly_scores(k=3)
    np.testing.assert_allclose(result.matches["anomaly_score"], np.sort(scores)[::-1][:5])
    tess = search.least_similar(n=5, k=3, filters=Filters(missions="TESS"))
    assert (tess.matches["mission"] == "TESS").all()


# -- index and catalogue must agree ------------------------------------------------------------


def test_an_index_with_objects_the_catalogue_lacks_is_refused(index, survey):
    table, _ = survey
    with pytest.raises(IndexMismatch, match="not in the catalogue"):
        SimilaritySearch(index, Catalog(table.iloc[:500]))


def test_an_object_without_an_embedding(survey):
    table, vectors = survey
    partial = build_index(vectors[:500], table["object_id"][:500], run="t", progress=False)
    search = SimilaritySearch(partial, Catalog(table))
    with pytest.raises(UnknownObject, match="not in the index"):
        search.by_object(table["object_id"][550])
    with pytest.raises(UnknownObject, match="not in the catalogue"):
        search.by_object("KIC 1")
    assert len(search.by_object(table["object_id"][5], k=499)) == 499


class _VectorsElsewhere(FaissIndex):
    """A FAISS index whose vectors array cannot be read directly, as if held by a server."""

    @property
    def vectors(self):
        raise AssertionError("the search must read stored vectors with get_vectors")


def test_the_search_reads_stored_vectors_only_by_position(search, survey):
    table, vectors = survey
    index = _VectorsElsewhere.build(
        vectors, table["object_id"], run="test", factory="Flat", progress=False
    )
    elsewhere = SimilaritySearch(index, Catalog(table), config=NO_DEDUP)
    object_id = table["object_id"][33]
    rare = Filters(classes=RARE)  # 12 objects: ranked exactly over the subset
    for method, kwargs in [
        ("by_object", {"object_id": object_id, "k": 10}),
        ("by_object", {"object_id": object_id, "k": 5, "filters": rare}),
        ("least_similar", {"n": 5, "k": 3}),
    ]:
        expected = getattr(search, method)(**kwargs).matches
        pd.testing.assert_frame_equal(getattr(elsewhere, method)(**kwargs).matches, expected)
    pd.testing.assert_series_equal(
        elsewhere.anomaly_scores(k=5, batch_size=128), search.anomaly_scores(k=5)
    )


def test_class_statistics_judge_a_query_against_the_members_of_its_answer():
    rng = np.random.default_rng(4)
    names = ("amplitude", "kurtosis", "period")
    constant = rng.normal([0.0, 0.0, 1.0], 0.1, (25, 3))
    eclipsing = rng.normal([2.0, 3.0, 0.3], 0.1, (25, 3))
    few = rng.normal([5.0, 5.0, 5.0], 0.1, (4, 3))
    reference = ClassStatistics.of(
        np.vstack([constant, eclipsing, few]), ["CONSTANT"] * 25 + ["EA"] * 25 + ["RARE"] * 4, names
    )
    assert sorted(reference.members) == ["CONSTANT", "EA"]  # 4 members are too few to judge
    member_like = dict(zip(names, eclipsing[0] + 0.01, strict=True))
    assert reference.reasons(member_like, "EA") == ()
    (reason,) = reference.reasons(member_like, "CONSTANT")
    assert "every CONSTANT object" in reason and "kurtosis" in reason and "amplitude" in reason
    assert "period" not in reason  # named: the two statistics that differ most
    assert reference.reasons(member_like, "RARE") == ()
    assert reference.reasons({"amplitude": 2.0}, "CONSTANT") == ()  # a statistic missing
    assert reference.reasons(dict(member_like, period=np.nan), "CONSTANT") == ()


def test_a_process_keeps_the_survey_samples_of_the_indexes_it_searched_last(monkeypatch):
    from types import SimpleNamespace

    from astrolens.search import service

    monkeypatch.setattr(service, "_PROFILES", service.OrderedDict())
    monkeypatch.setattr(service, "PROFILE_CACHE_SIZE", 2)
    made = []

    def search(run):
        source = SimpleNamespace(survey_config={}, catalog_fingerprint={"key": "k"}, run=run)
        return SimpleNamespace(
            source=source, _regenerated_profiles=lambda: made.append(run) or [run]
        )

    def profiles(run):
        return service.IndexedSearch._survey_profiles(search(run))

    assert profiles("a") == ["a"] and profiles("b") == ["b"] and profiles("a") == ["a"]
    assert made == ["a", "b"]  # "a" again: kept
    profiles("c")  # "b" was used least recently: it goes
    assert [key[1] for key in service._PROFILES] == ["a", "c"]
    profiles("b")
    assert made == ["a", "b", "c", "b"]


# -- the query's own period --------------------------------------------------------------------


class PeriodicEmbeddings(StoredEmbeddings):
    """:class:`StoredEmbeddings` whose light curves show a period of their own, as a trained run
    reads them (``own_period``: the best period of the periodogram)."""

    def own_period(self, item):
        return self.modality.own_period(item)


def test_a_light_curve_ranks_first_the_candidates_whose_period_its_own_supports(
    search, survey, index, tmp_path
):
    table, vectors = survey
    number = int(np.flatnonzero(table["class"] == "RRab")[0])
    row = table.iloc[number]
    path = write_fits(row, tmp_path)
    encoder = PeriodicEmbeddings(search.encoder.embed)
    own = encoder.own_period(encoder.load(path))
    assert own == pytest.approx(row["period_days"], rel=0.01)
    ranked = SimilaritySearch(index, Catalog(table), encoder=encoder, config=NO_DEDUP)
    result = ranked.by_lightcurve(path, k=10)
    assert result.query.period_days == own
    # the oracle: of the 50 nearest (5 x k), the supported ones first, each group by distance
    query = encoder.embed_item(encoder.load(path))
    nearest = oracle(vectors, query, everything_but(len(table), number))[0][:50]
    ratio = table["period_days"].to_numpy()[nearest, None] / (own * np.array(PERIOD_MULTIPLES))
    match = (np.abs(ratio - 1) <= 0.03).any(axis=1)
    assert 0 < match[:10].sum() < min(10, match.sum())  # the ranking changes the answer
    expected = np.concatenate([nearest[match], nearest[~match]])[:10]
    assert result.object_ids == table["object_id"].iloc[expected].tolist()
    flags = result.column("period_match")
    assert flags.dtype == bool and flags.tolist() == [True] * min(10, int(match.sum())) + [
        False
    ] * max(0, 10 - int(match.sum()))
    unranked = SearchConfig(duplicate_radius_arcsec=None, period_pool=0)
    plain = SimilaritySearch(index, Catalog(table), encoder=encoder, config=unranked)
    assert (
        plain.by_lightcurve(path, k=10).object_ids == table["object_id"].iloc[nearest[:10]].tolist()
    )
    assert "period_match" not in plain.by_lightcurve(path, k=10).columns
    assert "period_match" not in search.by_lightcurve(path, k=10).columns  # no own period
    assert "period_match" not in ranked.by_object(row["object_id"], k=10).columns
