"""The web app: the search page and the HTTP API in one FastAPI application.

:func:`create_app` wraps a :class:`~astrolens.search.Search`; :func:`serve` opens an
index folder (:func:`astrolens.search.open_search`) and serves it with uvicorn, on 127.0.0.1
unless told otherwise. The page (``/``) and its script and style (``/static/``) are files of the
package: nothing is loaded from elsewhere. The OpenAPI schema is at ``/openapi.json``, its
documentation at ``/docs``.

Errors: astrolens's exceptions become answers with the message as ``detail`` -- an unknown object
404, unreadable coordinates or light curve 422, anything else the server's fault (500); invalid
parameters 422 with the parameter named.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from astrolens.catalog import Catalog
>>> from astrolens.index import build_index
>>> table = pd.DataFrame({"object_id": ["a", "b", "c"], "ra": [0.0, 1, 2], "dec": [0.0, 0, 0]})
>>> index = build_index(np.eye(3, dtype=np.float32), table["object_id"], run="t", progress=False)
>>> from astrolens.search import SimilaritySearch
>>> app = create_app(SimilaritySearch(index, Catalog(table)))
>>> [path for path in app.openapi()["paths"] if path.startswith("/api/search/")][:3]
['/api/search/object', '/api/search/coordinates', '/api/search/examples']
"""

from __future__ import annotations

import gc
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import astrolens
from astrolens.errors import (
    ArchiveUnavailable,
    AstrolensError,
    InvalidCoordinates,
    InvalidLightCurve,
    UnknownObject,
)
from astrolens.search import Search, open_search
from astrolens.web.api import router
from astrolens.web.state import WebConfig, WebState
from astrolens.web.thumbnails import ThumbnailCache

__all__ = ["ERROR_STATUS", "STATIC_DIR", "create_app", "run_app", "serve"]

ERROR_STATUS: tuple[tuple[type[AstrolensError], int], ...] = (
    (UnknownObject, 404),
    (InvalidCoordinates, 422),
    (InvalidLightCurve, 422),
    (ArchiveUnavailable, 503),
)
"""HTTP status of each astrolens exception (the first that matches); others are 500."""

STATIC_DIR = Path(str(files("astrolens.web") / "static"))
"""The page, its script and its style sheet."""


def create_app(
    search: Search,
    *,
    config: WebConfig | None = None,
    thumbnail_dir: str | os.PathLike[str] | None = None,
) -> FastAPI:
    """The web app over ``search``: the page at ``/`` and the API under ``/api``.

    Parameters
    ----------
    search
        What to search: any :class:`~astrolens.search.Search`, e.g. the search over an index
        folder (:func:`~astrolens.search.open_search`), which embeds uploads and draws light
        curves with its model run, or a :class:`~astrolens.search.SimilaritySearch`. Its
        ``images`` draw the thumbnails; uploads need its ``encoder``.
    config
        Limits and settings (default ``WebConfig()``).
    thumbnail_dir
        Where thumbnails (drawn by ``search.images``) are kept (default:
        ``cache_dir("thumbnails")``).

    Returns
    -------
    fastapi.FastAPI
        The application, for uvicorn or any ASGI server.
    """
    thumbnail_cache = ThumbnailCache(search.images, thumbnail_dir, namespace=search.index.run)
    app = FastAPI(
        title="astrolens",
        summary="What else looks like this? Similarity search over light curves.",
        version=astrolens.__version__,
    )
    state = WebState(search, config or WebConfig(), thumbnail_cache)
    app.state.astrolens = state
    app.add_exception_handler(AstrolensError, _astrolens_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/", _page, include_in_schema=False)
    return app


def serve(
    index_dir: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    config: WebConfig | None = None,
    log_level: str = "info",
) -> None:
    """Serve the index folder ``index_dir`` (page and API) until interrupted.

    Parameters
    ----------
    index_dir
        An index folder of :func:`astrolens.pipeline.build_survey_index` or
        :func:`~astrolens.pipeline.build_embeddings_index`.
    host, port
        Where to listen (by default on this machine only).
    config
        Limits and settings of the app (default ``WebConfig()``).
    log_level
        uvicorn's log level (``"warning"`` for quiet).

    Raises
    ------
    FileNotFoundError, CorruptIndex, IndexMismatch
        As :func:`astrolens.search.open_search` raises them for the folder.
    """
    run_app(create_app(open_search(index_dir), config=config), host, port, log_level=log_level)


def run_app(
    app: FastAPI, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info"
) -> None:
    """Serve ``app`` with uvicorn until interrupted.

    Everything loaded so far (the index, a catalogue of millions of rows) is moved out of the
    garbage collector's reach first (:func:`gc.freeze`): otherwise each full collection walks
    millions of objects that never become garbage, and queries wait tens of milliseconds.
    """
    import uvicorn

    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level=log_level)


async def _page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


async def _astrolens_error(request: Request, error: Exception) -> JSONResponse:
    status = next((code for kind, code in ERROR_STATUS if isinstance(error, kind)), 500)
    return JSONResponse({"detail": str(error), "error": type(error).__name__}, status_code=status)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [_problem(item) for item in error.errors()]
    return JSONResponse(
        {"detail": "; ".join(problems), "errors": jsonable_encoder(error.errors())},
        status_code=422,
    )


def _problem(item: dict[str, Any]) -> str:
    """``"query parameter k: Input should be greater than or equal to 1"``."""
    where, *names = [str(part) for part in item.get("loc", ())] or ["request"]
    place = f"{where} parameter" if where in ("query", "path", "header", "cookie") else where
    name = ".".join(names)
    return f"{place} {name}: {item.get('msg', 'invalid')}" if name else f"{place}: {item['msg']}"
