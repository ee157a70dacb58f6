"""The web app: the search page and the HTTP API in one FastAPI application.

:func:`create_app` wraps a :class:`~astrolens.search.Search`, or several by name; :func:`serve`
opens one or more index folders (:func:`astrolens.search.open_search`) and serves them with
uvicorn, on 127.0.0.1 unless told otherwise. The page (``/``) and its script and style
(``/static/``) are files of the package: nothing is loaded from elsewhere. The OpenAPI schema is
at ``/openapi.json``, its documentation at ``/docs``.

**Several indexes.** Index folders built from runs of different encoders (``hybrid_cnn``,
``features``, ...) can be served side by side, to compare their answers to the same query: each
is served under its folder's name (made unique: ``tiny``, ``tiny-2``), the first is the default.
``GET /api/indexes`` lists them with their encoders; every endpoint takes ``index=NAME``
(:mod:`astrolens.web.api`), and every search answer says which index and encoder answered. The
page shows an "Encoder" choice when there are several. All are opened before any worker process
is forked, so the processes share them.

There is no authentication. Requests from web pages other than the server's own and requests
for host names it does not know are refused (:mod:`astrolens.web.guard`; 403 and 400), so that
the pages a user visits cannot use a server on their machine; :class:`~astrolens.web.WebConfig`
says which hosts and origins are allowed.

Errors: astrolens's exceptions become answers with the message as ``detail`` -- an unknown object
404, unreadable coordinates or light curve 422, anything else the server's fault (500); invalid
parameters 422 with the parameter named; an index not served 404, naming those that are.

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
>>> two = create_app({"cnn": SimilaritySearch(index, Catalog(table)),
...                   "features": SimilaritySearch(index, Catalog(table))})
>>> list(two.state.astrolens.indexes), two.state.astrolens.default.name
(['cnn', 'features'], 'cnn')
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import ipaddress
import os
import signal
import socket
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
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
    InvalidImage,
    InvalidLightCurve,
    UnknownObject,
)
from astrolens.search import Search, open_search
from astrolens.web.api import router
from astrolens.web.guard import ANY, RequestGuard
from astrolens.web.results import FastJSONResponse
from astrolens.web.state import WebConfig, WebState, served_indexes

__all__ = [
    "ERROR_STATUS",
    "MAX_DEFAULT_WORKERS",
    "STATIC_DIR",
    "create_app",
    "default_workers",
    "index_names",
    "run_app",
    "serve",
]

ERROR_STATUS: tuple[tuple[type[AstrolensError], int], ...] = (
    (UnknownObject, 404),
    (InvalidCoordinates, 422),
    (InvalidLightCurve, 422),
    (InvalidImage, 422),
    (ArchiveUnavailable, 503),
)
"""HTTP status of each astrolens exception (the first that matches); others are 500."""

_FAST_SERVER = {"http": "httptools", "loop": "uvloop" if sys.platform != "win32" else "asyncio"}
"""uvicorn's C HTTP parser and libuv event loop: about half the server's time per request."""

STATIC_DIR = Path(str(files("astrolens.web") / "static"))
"""The page, its script and its style sheet."""


def create_app(
    search: Search | Mapping[str, Search],
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
        ``images`` draw the thumbnails; uploads need its ``encoder``. Or several searches by
        name (``{"demo-default": ..., "demo-features": ...}``): requests choose one with
        ``index=NAME``, the first is the default. One search alone is served under its model
        run's name (:func:`~astrolens.web.state.served_indexes`).
    config
        Limits and settings (default ``WebConfig()``), the hosts and origins allowed among them.
    thumbnail_dir
        Where thumbnails (drawn by each search's ``images``) are kept (default:
        ``cache_dir("thumbnails")``).

    Returns
    -------
    fastapi.FastAPI
        The application, for uvicorn or any ASGI server.
    """
    indexes = served_indexes(search, thumbnail_dir)
    app = FastAPI(
        default_response_class=FastJSONResponse,
        title="astrolens",
        summary="What else looks like this? Similarity search over light curves.",
        version=astrolens.__version__,
    )
    config = config or WebConfig()
    app.state.astrolens = WebState(indexes, config)
    if ANY not in config.allowed_hosts or ANY not in config.allowed_origins:
        app.add_middleware(
            RequestGuard,
            allowed_hosts=config.allowed_hosts,
            allowed_origins=config.allowed_origins,
        )
    app.add_exception_handler(AstrolensError, _astrolens_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/", _page, include_in_schema=False)
    return app


def serve(
    index_dir: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    config: WebConfig | None = None,
    log_level: str = "info",
    workers: int | None = None,
) -> None:
    """Serve the index folder ``index_dir``, or several, (page and API) until interrupted.

    Parameters
    ----------
    index_dir
        An index folder of :func:`astrolens.pipeline.build_survey_index` or
        :func:`~astrolens.pipeline.build_embeddings_index`, or several (e.g. one per encoder):
        each is served under its folder's name (:func:`index_names`), the first is the default.
        All are opened here, before the worker processes are forked.
    host, port
        Where to listen (by default on this machine only). ``host`` is added to the config's
        ``allowed_hosts`` (unless it is a wildcard address such as ``0.0.0.0``). Any address
        but this machine's own (loopback) gets a warning: there is no authentication.
    config
        Limits and settings of the app (default ``WebConfig()``), the host names and web
        pages (origins) allowed to use it among them.
    log_level
        uvicorn's log level (``"warning"`` for quiet).
    workers
        Server processes (default :func:`default_workers`); see :func:`run_app`.

    Raises
    ------
    FileNotFoundError, CorruptIndex, IndexMismatch
        As :func:`astrolens.search.open_search` raises them for a folder.
    ValueError
        If no folder is given.
    """
    folders = [index_dir] if isinstance(index_dir, (str, os.PathLike)) else list(index_dir)
    if not folders:
        raise ValueError("no index folder to serve")
    config = _with_host(config or WebConfig(), host)
    if not _is_loopback(host):
        warnings.warn(_exposed(host, config), UserWarning, stacklevel=2)
    names = index_names(folders)
    searches = {name: open_search(folder) for name, folder in zip(names, folders, strict=True)}
    app = create_app(searches, config=config)
    run_app(app, host, port, log_level=log_level, workers=workers)


def index_names(folders: Sequence[str | os.PathLike[str]]) -> list[str]:
    """The names the web app serves index folders under: each folder's name, with ``-2``,
    ``-3``, ... added where it would repeat one before.

    Examples
    --------
    >>> index_names(["indexes/tiny", "other/tiny", "indexes/tiny-features", "."]) == [
    ...     "tiny", "tiny-2", "tiny-features", Path.cwd().name]
    True
    """
    names: list[str] = []
    for folder in folders:
        base = Path(folder).name or Path(folder).resolve().name or "index"
        name, number = base, 1
        while name in names:
            number += 1
            name = f"{base}-{number}"
        names.append(name)
    return names


def _with_host(config: WebConfig, host: str) -> WebConfig:
    """``config`` with ``host`` (a name or address to listen on) among its allowed hosts."""
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_unspecified:  # 0.0.0.0, ::: every address
            return config
    return dataclasses.replace(config, allowed_hosts=(*config.allowed_hosts, host))


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        return False


def _exposed(host: str, config: WebConfig) -> str:
    """The warning for a server that other machines can reach."""
    hosts = ", ".join(config.allowed_hosts)
    origins = ", ".join(config.allowed_origins) or "none"
    return (
        f"serving on {host}: anyone who can reach it can search and upload, there is no "
        "authentication. Requests must address one of the hosts "
        f"{hosts}, or the server's IP address (WebConfig.allowed_hosts), and web pages other "
        f"than the server's own may use it only if allowed (WebConfig.allowed_origins: "
        f"{origins}); '*' allows any"
    )


def default_workers() -> int:
    """Server processes by default: one per CPU core, at most :data:`MAX_DEFAULT_WORKERS`
    (one process answers on one core; searches hold the core for about a millisecond each)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_DEFAULT_WORKERS, cores or 1))


MAX_DEFAULT_WORKERS = 4
"""More processes than this only when asked (each embeds uploads with its own model copy)."""


def run_app(
    app: FastAPI,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "info",
    workers: int | None = None,
) -> None:
    """Serve ``app`` with uvicorn until interrupted.

    Everything loaded so far (the indexes, catalogues of millions of rows) is moved out of the
    garbage collector's reach first (:func:`gc.freeze`): otherwise each full collection walks
    millions of objects that never become garbage, and queries wait tens of milliseconds.

    With ``workers`` > 1 (default :func:`default_workers`; POSIX only), the address is opened
    here and that many processes are forked to answer on it: they share the loaded indexes and
    catalogues page by page (copy-on-write; frozen objects are not written by the collector).
    On Linux each has its own socket on the address (``SO_REUSEPORT``), so that the kernel
    spreads new connections evenly over them; elsewhere they share one, and whichever wakes
    first takes the connections waiting (a client's 8 keep-alive connections could all go to
    one). Each loads the model for uploads on its first upload. Interrupting this process
    (SIGINT, SIGTERM) stops them all.
    """
    import uvicorn

    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers > 1 and not hasattr(os, "fork"):
        workers = 1  # no fork on this platform: one process
    if workers > 1 and "tensorflow" in sys.modules:
        warnings.warn(
            "TensorFlow is loaded already, and its threads do not survive a fork: serving with "
            "one process (open the search without embedding anything first, as serve() does, "
            "to have several)",
            RuntimeWarning,
            stacklevel=2,
        )
        workers = 1
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, **_FAST_SERVER)
    if workers == 1:
        uvicorn.Server(config).run()
        return
    listeners = _listeners(config, workers)
    children = []
    for number in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: serve on its socket until told to stop
            status = 0
            try:
                uvicorn.Server(config).run(sockets=[listeners[number]])
            except BaseException:
                status = 1
            os._exit(status)
        children.append(pid)
    for listener in set(listeners):
        listener.close()
    _supervise(children)


def _listeners(config: Any, workers: int) -> list[socket.socket]:
    """The listening socket of each worker: its own, all on one address (``SO_REUSEPORT``: the
    kernel spreads new connections over them), on Linux; elsewhere one socket shared by all.

    The address is first bound without ``SO_REUSEPORT``, which fails where anything listens on
    it, another server with ``SO_REUSEPORT`` included (it would take half the connections)."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "SO_REUSEPORT"):
        return [config.bind_socket()] * workers
    family, kind, proto, _, address = socket.getaddrinfo(
        config.host, config.port, type=socket.SOCK_STREAM
    )[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
        address = probe.getsockname()  # the port the system chose, where 0 was asked
    listeners: list[socket.socket] = []
    try:
        for _ in range(workers):
            listener = socket.socket(family, kind, proto)
            listeners.append(listener)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            listener.bind(address)
            listener.listen(config.backlog)
    except OSError:
        for listener in listeners:
            listener.close()
        raise
    return listeners


def _supervise(children: list[int], grace_seconds: float = 20.0) -> None:
    """Wait for the worker processes; pass SIGINT/SIGTERM on to them; stop all if one ends.

    A worker still running ``grace_seconds`` after it was told to stop is killed.
    """
    remaining = set(children)
    stopping_since: list[float] = []

    def stop(signum: int, frame: Any) -> None:
        if not stopping_since:
            stopping_since.append(time.monotonic())
        for pid in remaining:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        while remaining:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                if stopping_since and time.monotonic() - stopping_since[0] > grace_seconds:
                    for late in remaining:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(late, signal.SIGKILL)
                time.sleep(0.05)
                continue
            remaining.discard(pid)
            stop(signal.SIGTERM, None)  # one ended (stopped or crashed): stop the others too
    except ChildProcessError:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


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
