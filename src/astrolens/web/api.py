"""The HTTP API: searches, object details, thumbnails, health, the indexes served.

An app may serve several indexes, one per encoder say (``GET /api/indexes`` lists them: name,
encoder, model run, size, embedding dimension, which is the default). Every endpoint that reads
an index -- the searches, the catalogue summary, object details, thumbnails, health -- takes an
optional ``index`` query parameter naming one (absent: the default, the first served); an index
not served gets 404 with a ``detail`` that names those that are.

Every search endpoint takes ``k`` and the same filters (``class``, ``mission``, ``mag_window``,
``mag_min``, ``mag_max``) and answers JSON (:func:`astrolens.web.results.search_payload`, with
``index``, ``encoder`` and ``run``: which index answered, and its encoder and model run) or, with
``format=csv``, the matches as a CSV download. Bad input gets a 4xx answer whose ``detail`` says
what was wrong (see :mod:`astrolens.web.app` for how astrolens errors map to status codes).

Searches by id, position, examples or at random take a few milliseconds of CPU and run on the
event loop itself (no thread hop); embedding an upload and drawing a thumbnail run in worker
threads, so they do not hold other requests up.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

import astrolens
from astrolens.datasets import return_freed_memory
from astrolens.errors import AstrolensError, InvalidImage, InvalidLightCurve
from astrolens.search import Filters, Search, SearchResult, parse_range
from astrolens.sources.reader import read_as_asked
from astrolens.web.results import (
    FastJSONResponse,
    csv_filename,
    records,
    row_payload,
    search_payload,
    thumbnail_url,
    units,
)
from astrolens.web.state import ServedIndex, WebState, upload_kind
from astrolens.web.thumbnails import query_drawing
from astrolens.web.uploads import FILE_FIELD, ReceivedFile, receive_uploads

__all__ = ["DEFAULT_K", "QUERY_PICTURES", "router"]

DEFAULT_K = 5
"""Matches returned when a query does not say ``k``."""

QUERY_PICTURES = 12
"""Uploaded files of one query that are drawn beside its matches (the query itself takes them
all)."""

router = APIRouter(prefix="/api")

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown object id, no object at the position, or unknown index"},
    422: {"description": "Invalid parameters (the detail says which and why)"},
}
_INDEX_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown index (the detail names those served)"},
    422: _ERRORS[422],
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed or truncated multipart body"},
    408: {"description": "Body not received within the server's upload time limit"},
    404: {"description": "Unknown index (the detail names those served)"},
    413: {"description": "File or body larger than the server's limit"},
    415: {"description": "Body is not multipart/form-data"},
    422: {"description": "Unreadable light curve, no file, or invalid parameters"},
}
_SEARCH_CONTENT = {
    "text/csv": {"schema": {"type": "string"}, "example": "rank,distance,object_id,...\n"}
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {
                        FILE_FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "A light curve (Kepler/K2/TESS FITS, or a CSV/ASCII "
                            "table with time and flux columns) or, for an index of galaxy images, "
                            "a JPEG, PNG or FITS picture; repeat the part for one query of "
                            "several examples",
                        }
                    },
                }
            }
        },
    }
}


async def get_state(request: Request) -> WebState:
    """The app's :class:`WebState`."""
    state: WebState = request.app.state.astrolens
    return state


State = Annotated[WebState, Depends(get_state)]


async def chosen_index(
    state: State,
    index: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Index to use, by name (GET /api/indexes); default: the server's first",
        ),
    ] = None,
) -> ServedIndex:
    """The index the ``index`` query parameter names (absent: the default); 404 if not served."""
    try:
        return state.index(index)
    except LookupError as error:
        raise HTTPException(404, str(error)) from None


Served = Annotated[ServedIndex, Depends(chosen_index)]
ObjectId = Annotated[str, Query(alias="id", min_length=1, max_length=200, description="Object id")]


@dataclass(frozen=True)
class Presentation:
    """How a search result is sent: JSON (with or without the parameters' distributions) or CSV."""

    output: Literal["json", "csv"] = "json"
    parameters: bool = False


async def presentation(
    output: Annotated[
        Literal["json", "csv"],
        Query(alias="format", description="json: the matches as JSON; csv: the matches table"),
    ] = "json",
    parameters: Annotated[
        bool,
        Query(description="Add the distributions of the matches' physical parameters (JSON)"),
    ] = False,
) -> Presentation:
    """The ``format`` and ``parameters`` query parameters."""
    return Presentation(output, parameters)


async def neighbours(
    state: State,
    k: Annotated[int, Query(ge=1, description="Number of matches (at most max_k)")] = DEFAULT_K,
) -> int:
    """The number of matches asked for, within the server's limit."""
    if k > state.config.max_k:
        raise HTTPException(422, f"k: at most {state.config.max_k} matches per query, got {k}")
    return k


async def search_filters(
    classes: Annotated[
        list[str] | None, Query(alias="class", description="Keep matches of these classes")
    ] = None,
    missions: Annotated[
        list[str] | None, Query(alias="mission", description="Keep matches of these missions")
    ] = None,
    mag_window: Annotated[
        float | None,
        Query(
            ge=0,
            le=50,
            allow_inf_nan=False,
            description="Keep matches within this many magnitudes of the query's magnitude",
        ),
    ] = None,
    mag_min: Annotated[
        float | None, Query(allow_inf_nan=False, description="Keep matches at least this faint")
    ] = None,
    mag_max: Annotated[
        float | None, Query(allow_inf_nan=False, description="Keep matches at most this faint")
    ] = None,
    period_min: Annotated[
        float | None,
        Query(
            ge=0,
            allow_inf_nan=False,
            description="Keep matches whose catalogued period is at least this many days",
        ),
    ] = None,
    period_max: Annotated[
        float | None,
        Query(
            ge=0,
            allow_inf_nan=False,
            description="Keep matches whose catalogued period is at most this many days",
        ),
    ] = None,
    column_ranges: Annotated[
        list[str] | None,
        Query(
            alias="range",
            description="Keep matches with MIN <= COLUMN <= MAX, written COLUMN:MIN:MAX (an empty "
            "end is open; repeatable), on any numeric column of the catalogue, e.g. "
            "amplitude_mag:0.1:0.5",
        ),
    ] = None,
) -> Filters:
    """Filters from the query string."""
    ranges = {}
    bounds = (("mag", "mag", mag_min, mag_max), ("period", "period_days", period_min, period_max))
    for name, column, low, high in bounds:
        if low is not None and high is not None and low > high:
            raise HTTPException(422, f"{name}_min ({low}) is larger than {name}_max ({high})")
        if low is not None or high is not None:
            ranges[column] = (low, high)
    for text in column_ranges or []:
        try:
            column, bounds_of_column = parse_range(text)
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        if column in ranges:
            raise HTTPException(422, f"range {text!r}: {column} is filtered twice in one search")
        ranges[column] = bounds_of_column
    try:
        return Filters(classes=classes, missions=missions, mag_window=mag_window, ranges=ranges)
    except ValueError as error:  # e.g. a range whose min is larger than its max
        raise HTTPException(422, str(error)) from None


K = Annotated[int, Depends(neighbours)]
SearchFilters = Annotated[Filters, Depends(search_filters)]
Shown = Annotated[Presentation, Depends(presentation)]


@contextmanager
def bad_query() -> Iterator[None]:
    """Turn the ``ValueError`` a search raises for arguments it cannot use into a 422 answer."""
    try:
        yield
    except AstrolensError:
        raise
    except ValueError as error:
        raise HTTPException(422, str(error)) from None


def answer(
    state: WebState,
    served: ServedIndex,
    result: SearchResult,
    shown: Presentation,
    query_thumbnail: str | None = None,
    query_period_days: float | None = None,
    query_thumbnails: list[str] | None = None,
) -> Response:
    """The result as JSON (saying which index, encoder and model run answered, and where the
    query and matches lie on the index's embedding map) or as a CSV download."""
    if shown.output == "csv":
        return Response(
            result.matches.to_csv(index=False),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{csv_filename(result)}"'},
        )
    payload = search_payload(
        result,
        parameters=shown.parameters,
        histogram_bins=state.config.histogram_bins,
        query_thumbnail=query_thumbnail,
        query_thumbnails=query_thumbnails,
        query_period_days=query_period_days,
        index=served.name,
    )
    answered_by = {"index": served.name, "encoder": served.encoder, "run": served.search.index.run}
    mapped = served.embedding_map
    on_map = None if mapped is None else mapped.positions(served.search, result)
    return FastJSONResponse({**answered_by, **payload, "map": on_map})


@router.get("/health", summary="An index served: encoder, model run, size", responses=_INDEX_ERRORS)
async def health(state: State, served: Served) -> dict[str, Any]:
    """Whether the server is up, and what it searches (the default index, or ``index``)."""
    search = served.search
    index = search.index
    return {
        "status": "ok",
        "astrolens_version": astrolens.__version__,
        "process": os.getpid(),
        "index": served.name,
        "encoder": served.encoder,
        "indexes": list(state.indexes),
        "run": index.run,
        "count": len(index),
        "dimension": index.dimension,
        "factory": index.factory,
        "catalog": search.catalog.name,
        "catalog_count": len(search.catalog),
        "lightcurve_search": upload_kind(search) == "lightcurve",
        "upload_kind": upload_kind(search),
        "max_upload_bytes": state.config.max_upload_bytes,
        "max_k": state.config.max_k,
    }


@router.get("/indexes", summary="The indexes served: name, encoder, model run, size")
async def indexes(state: State) -> dict[str, Any]:
    """Every index the server searches, the default first: its name (the ``index`` parameter of
    the other endpoints), encoder, model run, object count, embedding dimension, catalogue, and
    whether it is the default."""
    default = state.default.name
    return {
        "default": default,
        "indexes": [
            {**served.describe(), "default": name == default}
            for name, served in state.indexes.items()
        ],
    }


@router.get(
    "/catalog",
    summary="Catalogue columns and the values filters can take",
    responses=_INDEX_ERRORS,
)
async def catalog(served: Served) -> dict[str, Any]:
    """Name, size and columns of the index's catalogue; its classes, missions and magnitude
    range."""
    return served.catalog_summary


@router.get("/objects/{object_id}", summary="One object's catalogue row", responses=_ERRORS)
async def object_detail(
    served: Served, object_id: Annotated[str, PathParam(min_length=1, max_length=200)]
) -> dict[str, Any]:
    """An object's catalogue row, the units of its columns, and the link to its thumbnail."""
    row = served.search.catalog.row(object_id)
    return {
        "object_id": str(row["object_id"]),
        "object": row_payload(row),
        "units": units(row.index),
        "thumbnail": thumbnail_url(str(row["object_id"]), served.name),
    }


@router.get(
    "/thumbnails/{object_id}.png",
    summary="Light curve and wavelet image of an object, or its picture (PNG)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **_ERRORS},
)
def thumbnail(
    served: Served, object_id: Annotated[str, PathParam(min_length=1, max_length=200)]
) -> Response:
    """The object's light curve above its wavelet power image, as the index's model run
    prepares it (for an index of galaxy images: its picture); drawn once, then cached."""
    row = served.search.catalog.row(object_id)
    try:
        png = served.thumbnails.png(row)
    except ValueError as error:  # InvalidLightCurve too: a row whose light curve is unusable
        raise HTTPException(404, f"{object_id}: nothing to draw ({error})") from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=86400"})


@router.get("/example", summary="An object to open the page on", responses=_INDEX_ERRORS)
async def example(
    served: Served,
    seed: Annotated[
        int | None, Query(ge=0, lt=2**63, description="Seed: the same object every time")
    ] = None,
) -> dict[str, Any]:
    """An indexed object drawn at random among those with a catalogued period (their
    thumbnails show the light curve folded), for the page's first view."""
    return {"index": served.name, "object_id": served.example(seed)}


@router.get(
    "/anomalies",
    summary="The objects least like any other (largest anomaly scores)",
    responses=_INDEX_ERRORS,
)
def anomalies(
    served: Served,
    n: Annotated[int, Query(ge=1, le=100, description="How many objects")] = 20,
    k: Annotated[int, Query(ge=1, le=100, description="Score: distance to this neighbour")] = 10,
) -> dict[str, Any]:
    """The ``n`` objects farthest from their ``k``-th nearest neighbour in embedding space, most
    anomalous first (:meth:`astrolens.search.SimilaritySearch.least_similar`; the survey's scores
    are computed on the first request, then kept). Runs in a worker thread."""
    least_similar = getattr(served.search, "least_similar", None)
    if least_similar is None:
        raise HTTPException(404, f"index {served.name}: this search has no anomaly scores")
    k = min(k, len(served.search.index) - 1)
    if k < 1:
        raise HTTPException(422, f"index {served.name}: one object has no neighbour to score by")
    with bad_query():
        result = least_similar(min(n, len(served.search.index)), k=k)
    return {
        "index": served.name,
        "k": k,
        "columns": result.columns,
        "objects": records(result.columns, result.records()),
    }


@router.get(
    "/map",
    summary="The index's embedding map (t-SNE of a sample), coloured by class",
    responses=_INDEX_ERRORS,
)
async def embedding_map(served: Served) -> dict[str, Any]:
    """The 2-D map of the index (computed when it was built, kept in its folder): each mapped
    object's id, position and class number (into ``classes``; -1: none), at most a sample of a
    few thousand objects of a larger index. 404 for an index kept without one."""
    mapped = served.embedding_map
    if mapped is None:
        reason = served.map_problem or "no embedding map (rebuild the index folder to make one)"
        raise HTTPException(404, f"index {served.name}: {reason}")
    return {"index": served.name, **mapped.payload()}


@router.get(
    "/search/object",
    summary="Objects similar to a catalogued object",
    response_class=FastJSONResponse,
    responses={200: {"content": _SEARCH_CONTENT}, **_ERRORS},
)
async def search_object(
    state: State,
    served: Served,
    object_id: ObjectId,
    k: K,
    filters: SearchFilters,
    shown: Shown,
) -> Response:
    """The ``k`` objects most similar to ``id`` (the object itself and its sky duplicates left
    out)."""
    with bad_query():
        result = served.search.by_object(object_id, k, filters=filters)
    return answer(state, served, result, shown)


@router.get(
    "/search/coordinates",
    summary="Objects similar to the catalogued object at a sky position",
    response_class=FastJSONResponse,
    responses={200: {"content": _SEARCH_CONTENT}, **_ERRORS},
)
async def search_coordinates(
    state: State,
    served: Served,
    ra: Annotated[
        str,
        Query(
            min_length=1,
            max_length=40,
            description="Right ascension: degrees (290.667) or hours (19:22:40.1, 19h22m40.1s)",
        ),
    ],
    dec: Annotated[
        str,
        Query(
            min_length=1,
            max_length=40,
            description="Declination: degrees (44.5, +44:30:00, +44d30m00s)",
        ),
    ],
    k: K,
    filters: SearchFilters,
    shown: Shown,
    radius_arcsec: Annotated[
        float | None,
        Query(gt=0, le=3600, allow_inf_nan=False, description="Search radius (default 5)"),
    ] = None,
) -> Response:
    """The neighbours of the catalogued object nearest to (``ra``, ``dec``) within the radius."""
    with bad_query():
        result = served.search.by_coordinates(
            (ra, dec), k, radius_arcsec=radius_arcsec, filters=filters
        )
    return answer(state, served, result, shown)


@router.get(
    "/search/examples",
    summary="Objects similar to several catalogued objects at once",
    response_class=FastJSONResponse,
    responses={200: {"content": _SEARCH_CONTENT}, **_ERRORS},
)
async def search_examples(
    state: State,
    served: Served,
    object_ids: Annotated[
        list[Annotated[str, Query(min_length=1, max_length=200)]],
        Query(alias="id", min_length=1, description="Object ids (repeat the parameter)"),
    ],
    k: K,
    filters: SearchFilters,
    shown: Shown,
    combine: Annotated[
        Literal["centroid", "rrf"],
        Query(description="centroid: around the mean embedding; rrf: reciprocal-rank fusion"),
    ] = "centroid",
) -> Response:
    """One query from several examples of a kind of object."""
    if len(object_ids) > state.config.max_examples:
        raise HTTPException(
            422, f"id: at most {state.config.max_examples} examples, got {len(object_ids)}"
        )
    with bad_query():
        result = served.search.by_examples(object_ids, k, filters=filters, combine=combine)
    return answer(state, served, result, shown)


@router.get(
    "/search/random",
    summary="Objects similar to a random object",
    response_class=FastJSONResponse,
    responses={200: {"content": _SEARCH_CONTENT}, **_INDEX_ERRORS},
)
async def search_random(
    state: State,
    served: Served,
    k: K,
    filters: SearchFilters,
    shown: Shown,
    seed: Annotated[
        int | None, Query(ge=0, lt=2**63, description="Seed: the same object every time")
    ] = None,
) -> Response:
    """The neighbours of an object of the index drawn at random."""
    with bad_query():
        result = served.search.random(k, seed=seed, filters=filters)
    return answer(state, served, result, shown)


@router.post(
    "/search/upload",
    summary="Objects similar to an uploaded light curve or image (or several at once)",
    response_class=FastJSONResponse,
    responses={200: {"content": _SEARCH_CONTENT}, **_UPLOAD_ERRORS},
    openapi_extra=_UPLOAD_BODY,
)
async def search_upload(
    request: Request,
    state: State,
    served: Served,
    k: K,
    filters: SearchFilters,
    shown: Shown,
    thumbnail: Annotated[
        bool, Query(description="Add the query's picture to the JSON (as a data: URL)")
    ] = False,
    band: Annotated[
        str | None,
        Query(description="Band of a table of several (g, r, ...), or 'all' for all together"),
    ] = None,
    flux_column: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Flux or magnitude column of a light-curve table that names it its own "
            "way (any case; default: PDCSAP_FLUX, else the first of the usual names)",
        ),
    ] = None,
    combine: Annotated[
        Literal["centroid", "rrf"],
        Query(description="Several files: around their mean embedding (centroid) or rrf"),
    ] = "centroid",
) -> Response:
    """The ``k`` objects most similar to the input in the multipart part ``file`` (the index
    says what an input is: a light curve or an image); several ``file`` parts make one query of
    several examples, combined as ``/search/examples`` combines ids.

    The files are written to a temporary folder only, and deleted when the answer is ready.
    """
    with tempfile.TemporaryDirectory(prefix="astrolens-upload-") as folder:
        uploads = await receive_uploads(
            request,
            Path(folder),
            state.config.max_upload_bytes,
            state.config.upload_timeout_seconds,
            max_files=state.config.max_examples,
        )
        try:
            result, pictures, period = await run_in_threadpool(
                _search_files,
                state,
                served.search,
                uploads,
                k,
                filters,
                thumbnail and shown.output == "json",
                band,
                combine,
                flux_column,
            )
        finally:
            return_freed_memory()  # the arrays of a long light curve: back to the system
    return answer(
        state,
        served,
        result,
        shown,
        query_thumbnail=pictures[0] if len(pictures) == 1 else None,
        query_thumbnails=pictures if len(pictures) > 1 else None,
        query_period_days=period,
    )


def _search_file(
    state: WebState,
    search: Search,
    upload: ReceivedFile,
    k: int,
    filters: Filters,
    picture: bool,
    band: str | None = None,
) -> tuple[SearchResult, str | None]:
    """Search ``search`` by the uploaded file; errors name the file as the client called it.
    Returns the result and the query's picture (a ``data:`` URL, if asked for)."""
    result, drawn, _ = _search_files(state, search, [upload], k, filters, picture, band)
    return result, drawn[0] if drawn else None


def _search_files(
    state: WebState,
    search: Search,
    uploads: list[ReceivedFile],
    k: int,
    filters: Filters,
    picture: bool,
    band: str | None = None,
    combine: str = "centroid",
    flux_column: str | None = None,
) -> tuple[SearchResult, list[str], float | None]:
    """Search ``search`` by the uploaded files (one query of several examples when there are
    several); errors name the file as the client called it. With ``picture``, each file is
    drawn (the first :data:`QUERY_PICTURES`), a light curve folded at its own Lomb-Scargle
    period with its periodogram: returns the result, the pictures (``data:`` URLs) and, for one
    file, that period."""
    loading = uploads[0]
    try:
        with state.upload_slots, bad_query():  # at most max_concurrent_uploads at once
            encoder = search.encoder
            if encoder is None:
                raise ValueError("this index cannot embed uploads (no model run)")
            items = []
            for loading in uploads:  # read once each
                source = read_as_asked(loading.path, band, flux_column)
                items.append(encoder.load(source, label=loading.filename))
            if len(items) == 1:
                result = search.by_input(items[0], k, filters=filters)  # transformed once
            else:
                result = search.by_inputs(items, k, filters=filters, combine=combine)
            pictures, periods = [], []
            # folded at the period the matches were ranked by (stitched quarters: the pieces')
            ranked_by = result.query.period_days if len(items) == 1 else None
            for item in items[:QUERY_PICTURES] if picture else []:
                png, period = query_drawing(encoder.picture(item), ranked_by)  # the same image
                pictures.append("data:image/png;base64," + base64.b64encode(png).decode("ascii"))
                periods.append(period)
    except (InvalidLightCurve, InvalidImage) as error:
        raise type(error)(_sent_name(error.source, uploads, loading), error.reason) from None
    return result, pictures, periods[0] if len(periods) == 1 else None


def _sent_name(source: str, uploads: list[ReceivedFile], loading: ReceivedFile) -> str:
    """The name the client gave the file an error is about (the file being read when the
    error names none of them: its representation failed)."""
    for upload in uploads:
        if source in (str(upload.path), upload.filename):
            return upload.filename
    return loading.filename
