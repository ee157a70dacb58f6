"""Search results as the web API sends them: JSON-ready dicts, CSV text, thumbnail links.

Every number goes out as a JSON number or ``null`` (NaN: a parameter that does not apply to an
object's class); the CSV is :meth:`astrolens.search.SearchResult.to_frame` as it is.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import numpy as np
import orjson
from fastapi.responses import JSONResponse

from astrolens.catalog import column_label, column_unit
from astrolens.search import SearchResult
from astrolens.web.links import object_links, sky_links

__all__ = [
    "FastJSONResponse",
    "csv_filename",
    "json_value",
    "parameter_histograms",
    "records",
    "row_payload",
    "search_payload",
    "thumbnail_url",
    "units",
]


class FastJSONResponse(JSONResponse):
    """A JSON answer rendered by orjson (several times faster than the standard library's
    encoder); NaN and infinities become ``null``, NumPy arrays and scalars are written as they
    are."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def json_value(value: Any) -> Any:
    """A value as JSON has it: NumPy scalars as Python ones, NaN and infinities as None.

    Examples
    --------
    >>> json_value(np.float32(2.5)), json_value(float("nan")), json_value(np.int64(3))
    (2.5, None, 3)
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of Python values (:meth:`SearchResult.records`) as JSON-ready dicts, in column order.

    Examples
    --------
    >>> records(["object_id", "period_days", "rank"], [["a", float("nan"), 1]])
    [{'object_id': 'a', 'period_days': None, 'rank': 1}]
    """
    return [dict(zip(names, map(json_value, row), strict=True)) for row in rows]


def _json_list(values: np.ndarray) -> list[Any]:
    """A column as a list of JSON values (integers and booleans need no check)."""
    if values.dtype.kind in "iub":
        return values.tolist()
    return [json_value(value) for value in values.tolist()]


def row_payload(row: Mapping[str, Any]) -> dict[str, Any]:
    """One catalogue row (a ``pandas.Series``) as a JSON-ready dict.

    Examples
    --------
    >>> import pandas as pd
    >>> row_payload(pd.Series({"object_id": "KIC 1", "mag": np.float64(12.5)}))
    {'object_id': 'KIC 1', 'mag': 12.5}
    """
    return {str(name): json_value(value) for name, value in row.items()}


def units(columns: Iterable[str]) -> dict[str, str]:
    """The unit of each column that has one (``{"period_days": "d"}``).

    Examples
    --------
    >>> units(["object_id", "period_days", "mag"])
    {'period_days': 'd', 'mag': 'mag'}
    """
    return dict(_units(tuple(columns)))


@functools.lru_cache(maxsize=64)
def _units(columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, unit) for name in columns if (unit := column_unit(name)) is not None)


def thumbnail_url(object_id: str, index: str | None = None) -> str:
    """The API path of an object's thumbnail (as the index named ``index`` draws it; None: the
    server's default index).

    Examples
    --------
    >>> thumbnail_url("KIC 900000003")
    '/api/thumbnails/KIC%20900000003.png'
    >>> thumbnail_url("KIC 900000003", "demo features")
    '/api/thumbnails/KIC%20900000003.png?index=demo%20features'
    """
    path = f"/api/thumbnails/{quote(str(object_id), safe='')}.png"
    return path if index is None else f"{path}?index={quote(index, safe='')}"


def csv_filename(result: SearchResult) -> str:
    """A file name for the CSV of a result, from its query.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> csv_filename(SimpleNamespace(query=SimpleNamespace(label="KIC 900000003")))
    'astrolens-KIC_900000003.csv'
    """
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", result.query.label).strip("._")[:80]
    return f"astrolens-{label or 'matches'}.csv"


def parameter_histograms(result: SearchResult, bins: int = 10) -> list[dict[str, Any]]:
    """The distribution of each physical parameter over the matches, for histograms.

    :meth:`SearchResult.parameters` (median, 16th and 84th percentiles, count, the query's own
    value) of every parameter with a value among the matches, with the parameter's label and
    unit and ``histogram``: ``{"edges": [...], "counts": [...]}`` of its finite values, as
    :func:`numpy.histogram` gives them.
    """
    summary = result.parameters()
    counted = summary["n"].to_numpy() > 0
    names = [str(name) for name in summary.index[counted]]
    values = np.column_stack(
        [result.column(name).astype(np.float64) for name in names] or [np.empty((len(result), 0))]
    )
    edges, counts = _histograms(values, bins)
    statistics = {
        key: _json_list(summary[key].to_numpy()[counted])
        for key in ("median", "p16", "p84", "query", "n")
    }
    return [
        {
            "column": name,
            "label": column_label(name),
            "unit": column_unit(name),
            **{key: column[number] for key, column in statistics.items()},
            "histogram": {"edges": edges[:, number].tolist(), "counts": counts[:, number].tolist()},
        }
        for number, name in enumerate(names)
    ]


def _histograms(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`numpy.histogram` of each column of ``values`` (NaN left out), all at once.

    Returns ``(bins + 1, n_columns)`` edges and ``(bins, n_columns)`` counts.

    Examples
    --------
    >>> values = np.array([[1.0, 5.0], [2.0, np.nan], [4.0, 5.0]])
    >>> edges, counts = _histograms(values, 3)
    >>> counts[:, 0].tolist() == np.histogram([1.0, 2.0, 4.0], 3)[0].tolist()
    True
    >>> edges[:, 1].tolist(), counts[:, 1].tolist()
    ([4.5, 4.833333333333333, 5.166666666666667, 5.5], [0, 2, 0])
    """
    finite = np.isfinite(values)
    if values.size == 0:
        return np.zeros((bins + 1, values.shape[1])), np.zeros((bins, values.shape[1]), int)
    low = np.where(finite, values, np.inf).min(axis=0)
    high = np.where(finite, values, -np.inf).max(axis=0)
    flat = low == high
    low, high = np.where(flat, low - 0.5, low), np.where(flat, high + 0.5, high)
    edges = low + (high - low) * np.linspace(0.0, 1.0, bins + 1)[:, None]
    with np.errstate(invalid="ignore"):
        position = np.floor((values - low) / (high - low) * bins)
    which = np.clip(np.nan_to_num(position, nan=0.0), 0, bins - 1).astype(np.int64)
    column = np.broadcast_to(np.arange(values.shape[1]), values.shape)
    counts = np.zeros((bins, values.shape[1]), dtype=np.int64)
    np.add.at(counts, (which[finite], column[finite]), 1)
    return edges, counts


def search_payload(
    result: SearchResult,
    *,
    parameters: bool = True,
    histogram_bins: int = 10,
    query_thumbnail: str | None = None,
    query_period_days: float | None = None,
    index: str | None = None,
    query_thumbnails: list[str] | None = None,
) -> dict[str, Any]:
    """A search result as the API's JSON: the query, the matches, their parameters, and links
    out to where the query and matches are real (:mod:`astrolens.web.links`).

    Parameters
    ----------
    result
        The search result.
    parameters
        Add the distributions of the matches' physical parameters
        (:func:`parameter_histograms`); else ``"parameters"`` is None.
    histogram_bins
        Bins of each parameter's histogram.
    query_thumbnail
        Link or ``data:`` URL of the query's picture; default: the thumbnail of a catalogued
        query object, else None.
    index
        The name of the index searched, for the thumbnail links (None: the server's default).
    query_thumbnails
        Links or ``data:`` URLs of the pictures of a query of several examples, one each;
        default: the thumbnails of its catalogued objects (of several), else none.

    Examples
    --------
    >>> from astrolens.catalog import Catalog
    >>> from astrolens.index import build_index
    >>> from astrolens.search import SimilaritySearch
    >>> import pandas as pd
    >>> table = pd.DataFrame({"object_id": ["a", "b", "c"], "ra": [0.0, 1, 2],
    ...                       "dec": [0.0, 0, 0], "period_days": [1.0, np.nan, 3.0]})
    >>> index = build_index(np.eye(3, dtype=np.float32), table["object_id"], run="t",
    ...                     progress=False)
    >>> payload = search_payload(SimilaritySearch(index, Catalog(table)).by_object("a", k=2))
    >>> [match["period_days"] for match in payload["matches"]]
    [None, 3.0]
    >>> payload["query"]["thumbnail"], payload["parameters"][0]["n"]
    ('/api/thumbnails/a.png', 1)
    >>> payload["query"]["period"], payload["query"]["links"], payload["query"]["thumbnails"]
    ({'days': 1.0, 'source': 'catalogue'}, [], [])
    >>> examples = SimilaritySearch(index, Catalog(table)).by_examples(["a", "c"], k=1)
    >>> search_payload(examples)["query"]["thumbnails"]
    ['/api/thumbnails/a.png', '/api/thumbnails/c.png']
    """
    query = result.query
    columns = result.columns
    rows = result.records()  # without the DataFrame of the matches: fast
    if query_thumbnail is None and query.row is not None:
        query_thumbnail = thumbnail_url(str(query.row["object_id"]), index)
    if query_thumbnails is None:
        names = query.object_ids if len(query.object_ids) > 1 else ()
        query_thumbnails = [thumbnail_url(str(name), index) for name in names]
    matches = records(columns, rows)
    return {
        "query": {
            "kind": query.kind,
            "label": query.label,
            "object_ids": list(query.object_ids),
            "object": None if query.row is None else row_payload(query.row),
            "separation_arcsec": json_value(query.separation_arcsec),
            "combine": query.combine,
            "thumbnail": query_thumbnail,
            "thumbnails": query_thumbnails,
            "period": _query_period(result, query_period_days),
            "sky": [list(position) for position in query.sky],
            "links": _query_links(result),
        },
        "domain": None if result.domain is None else result.domain.to_dict(),
        "k": result.k,
        "count": len(result),
        "columns": columns,
        "units": units(columns),
        "matches": matches,
        "links": {
            str(match["object_id"]): found for match in matches if (found := object_links(match))
        },
        "parameters": parameter_histograms(result, histogram_bins) if parameters else None,
    }


def _query_period(result: SearchResult, lomb_scargle_days: float | None) -> dict[str, Any] | None:
    """The period a query is folded at, and where it comes from."""
    row = result.query.row
    if row is not None:
        period = json_value(row.get("period_days"))
        return None if period is None or period <= 0 else {"days": period, "source": "catalogue"}
    if lomb_scargle_days is None:
        return None
    return {"days": float(lomb_scargle_days), "source": "Lomb-Scargle"}


def _query_links(result: SearchResult) -> list[dict[str, str]]:
    """Links out of a query: its catalogue row's (OGLE-III), or MAST and SIMBAD by the position
    of a query that is not catalogued."""
    query = result.query
    if query.row is not None:
        return object_links(query.row)
    if len(query.sky) == 1:
        return sky_links(*query.sky[0])
    return []
