"""Search and download Kepler, K2 and TESS light curves from MAST, with an on-disk cache.

Three verbs, from the lightest to the heaviest:

- `search` asks MAST which light curve files exist for a target and returns them as a table;
- `download` makes sure those files are on disk and returns their paths;
- `fetch` downloads and reads them into `lightkurve.LightCurve` objects.

Everything goes through lightkurve (`lightkurve.search_lightcurve`, `SearchResult.download`) and
is kept in a `MastCache`: a second identical call is answered from disk without touching the
network, so work done once keeps working offline. When MAST cannot be reached, a quick connection
probe makes the call fail within seconds with `ArchiveUnavailable`, whose message says how to go
on from local files.

Examples
--------
>>> from astrolens.sources.mast import MastQuery
>>> MastQuery.build("kplr010002792", quarter=2).target
'KIC 10002792'
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lightkurve as lk
import requests
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Row, Table
from astroquery.exceptions import RemoteServiceError
from astroquery.exceptions import TimeoutError as AstroqueryTimeout
from lightkurve.utils import LightkurveError
from tqdm.auto import tqdm

from astrolens.errors import ArchiveUnavailable, CacheError, InvalidLightCurve
from astrolens.files import CACHE_ENV_VAR, cache_dir, written_atomically

__all__ = ["MastCache", "MastQuery", "download", "fetch", "search"]

MAST_HOST = "mast.stsci.edu"
MAST_PORT = 443
PROBE_TIMEOUT_S = 3.0
"""Longest wait, DNS lookup included, for the connection probe that runs before any MAST call."""

MISSIONS = ("Kepler", "K2", "TESS")
OFFICIAL_AUTHORS = {"Kepler": "Kepler", "K2": "K2", "TESS": "SPOC"}
EXPTIME_CLASSES = ("fast", "short", "long")
KEY_COLUMNS = (
    "target_name",
    "mission",
    "author",
    "exptime",
    "year",
    "distance",
    "productFilename",
    "dataURI",
)
"""Columns shown first in the table returned by `search`; the other MAST columns follow."""

_ID_PREFIXES = {"kic": "KIC", "kplr": "KIC", "epic": "EPIC", "ktwo": "EPIC", "tic": "TIC"}
_MISSION_ID_PREFIX = {"Kepler": "KIC", "K2": "EPIC", "TESS": "TIC"}
_SEQUENCE_MISSION = {"quarter": "Kepler", "campaign": "K2", "sector": "TESS"}
_PRODUCT_COLUMNS = ("obs_collection", "obs_id", "productFilename", "dataURI")
_ID = re.compile(r"^(kic|kplr|epic|ktwo|tic)[\s_-]*(\d+)$", re.IGNORECASE)
_COORDINATE_TOKEN = re.compile(r"^[+-]?\d[\d.:hmsd]*$")
_DECIMAL = re.compile(r"^[+-]?\d+(\.\d*)?$")
_FITS_MAGIC = (b"SIMPLE  =", b"\x1f\x8b")
_NETWORK_ERRORS = (
    requests.exceptions.RequestException,
    RemoteServiceError,
    AstroqueryTimeout,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)


@dataclass(frozen=True)
class MastQuery:
    """A normalised MAST light curve search: what is asked, spelled one way only.

    Build it with `MastQuery.build`, which accepts the many spellings users write ("kic 10002792",
    "kplr010002792", a `SkyCoord`, "19:11:28.1 +46:58:59"); two queries that ask the same thing are
    equal and share one cache entry (`key`).

    Parameters
    ----------
    target
        Object name ("Kepler-10"), catalogue id ("KIC 10002792", "EPIC 211117077", "TIC 358108509")
        or ICRS coordinates in degrees ("287.867210 +46.983080").
    missions
        Missions searched, in the order of `MISSIONS`.
    authors
        Pipelines whose products are kept (lightkurve's ``author``); None keeps every author.
    exptime
        Exposure time per cadence in seconds, one of `EXPTIME_CLASSES`, or None for all.
    quarters, campaigns, sectors
        Kepler quarters, K2 campaigns or TESS sectors; at most one of them is set.
    radius_arcsec
        Cone search radius in arcseconds; None searches the target itself.

    Examples
    --------
    >>> query = MastQuery.build("EPIC 211117077", author="any", exptime="long")
    >>> query.missions, query.authors, query.exptime
    (('Kepler', 'K2', 'TESS'), None, 'long')
    >>> query == MastQuery.build("ktwo211117077", author="all", exptime="LONG")
    True
    """

    target: str
    missions: tuple[str, ...] = MISSIONS
    authors: tuple[str, ...] | None = None
    exptime: str | float | None = None
    quarters: tuple[int, ...] | None = None
    campaigns: tuple[int, ...] | None = None
    sectors: tuple[int, ...] | None = None
    radius_arcsec: float | None = None

    @classmethod
    def build(
        cls,
        target: str | int | SkyCoord,
        *,
        mission: str | Sequence[str] | None = None,
        author: str | Sequence[str] | None = None,
        exptime: str | float | u.Quantity | None = None,
        quarter: int | Sequence[int] | None = None,
        campaign: int | Sequence[int] | None = None,
        sector: int | Sequence[int] | None = None,
        radius: float | u.Quantity | None = None,
    ) -> MastQuery:
        """Normalise the arguments of `search` into a query.

        Parameters
        ----------
        target
            Object name, catalogue id ("KIC 10002792", "kplr010002792", "EPIC 211117077",
            "TIC 358108509"), sky position (`SkyCoord`, or an "RA Dec" string in degrees or
            sexagesimal hours/degrees). A bare number needs a single `mission` to say which
            catalogue it belongs to (or a quarter, campaign or sector).
        mission
            "Kepler", "K2", "TESS" (any case) or several of them; None searches all three.
        author
            Pipeline(s) whose products to keep; None keeps the official ones ("Kepler", "K2",
            "SPOC") of the missions searched, "any" keeps every author (community light curves
            such as "K2SFF" or "QLP" included).
        exptime
            Seconds per cadence (number or time `Quantity`), or "fast" (20 s), "short" (1-2 min),
            "long" (10-30 min).
        quarter, campaign, sector
            Kepler quarter(s), K2 campaign(s) or TESS sector(s); each implies its mission.
        radius
            Cone search radius: arcseconds, or an angle `Quantity`.

        Returns
        -------
        MastQuery
            The normalised query.

        Raises
        ------
        ValueError
            If an argument cannot be understood or the filters contradict each other.
        TypeError
            If the target is neither a string, an integer nor a `SkyCoord`.

        Examples
        --------
        >>> MastQuery.build(10002792, quarter=[5, 2]).target
        'KIC 10002792'
        >>> MastQuery.build("19:11:28.13 +46:58:59.1", radius=10).target
        '287.867208 +46.983083'
        """
        missions = _normalise_missions(mission, quarter=quarter, campaign=campaign, sector=sector)
        return cls(
            target=_normalise_target(target, missions),
            missions=missions,
            authors=_normalise_authors(author, missions),
            exptime=_normalise_exptime(exptime),
            quarters=_normalise_sequence("quarter", quarter),
            campaigns=_normalise_sequence("campaign", campaign),
            sectors=_normalise_sequence("sector", sector),
            radius_arcsec=_normalise_radius(radius),
        )

    def to_dict(self) -> dict[str, Any]:
        """The query as plain JSON/YAML values (lists, strings, numbers, None).

        Examples
        --------
        >>> MastQuery.build("TIC 358108509", sector=1).to_dict()["sectors"]
        [1]
        """
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in asdict(self).items()
        }

    @property
    def key(self) -> str:
        """Hash of the query, naming its cache entry.

        Examples
        --------
        >>> len(MastQuery.build("Kepler-10").key)
        32
        """
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def describe(self) -> str:
        """One line saying what was asked, for messages.

        Examples
        --------
        >>> MastQuery.build("KIC 10002792", quarter=2).describe()
        'KIC 10002792 (mission Kepler, author Kepler, quarter 2)'
        """
        filters = {
            "mission": ", ".join(self.missions),
            "author": "any" if self.authors is None else ", ".join(self.authors),
            "exptime": self.exptime,
            "quarter": self.quarters,
            "campaign": self.campaigns,
            "sector": self.sectors,
            "radius": None if self.radius_arcsec is None else f'{self.radius_arcsec:g}"',
        }
        words = [
            f"{name} {', '.join(map(str, value)) if isinstance(value, tuple) else value}"
            for name, value in filters.items()
            if value is not None
        ]
        return f"{self.target} ({', '.join(words)})"

    def lightkurve_arguments(self) -> dict[str, Any]:
        """Keyword arguments of `lightkurve.search_lightcurve` asking the same thing.

        Examples
        --------
        >>> arguments = MastQuery.build("TIC 358108509", sector=1).lightkurve_arguments()
        >>> arguments["author"], arguments["sector"]
        (('SPOC',), [1])
        """
        return {
            "target": self.target,
            "radius": None if self.radius_arcsec is None else self.radius_arcsec * u.arcsec,
            "exptime": self.exptime,
            "mission": self.missions,
            "author": "any" if self.authors is None else self.authors,
            "quarter": _sequence_argument(self.quarters),
            "campaign": _sequence_argument(self.campaigns),
            "sector": _sequence_argument(self.sectors),
        }


def _default_root() -> Path:
    return cache_dir("mast")


@dataclass(frozen=True)
class MastCache:
    """Folder keeping MAST search results and downloaded light curve files.

    Layout: ``searches/<query key>.ecsv`` holds one search result each (with the query in its
    metadata), and ``mastDownload/<collection>/<obs_id>/<file>`` holds the downloaded FITS files,
    the layout lightkurve and astroquery use, so ``download_dir=<root>`` finds them too. Every write
    goes to a temporary file first and is renamed into place, so an interrupted run never leaves a
    half-written entry. Searches do not expire: delete ``searches/`` to ask MAST again.

    Parameters
    ----------
    root
        The cache folder. Default: ``$ASTROLENS_CACHE/mast`` when that variable is set, else
        ``~/.cache/astrolens/mast``.

    Examples
    --------
    >>> import tempfile
    >>> cache = MastCache(tempfile.mkdtemp())
    >>> cache.search_path(MastQuery.build("Kepler-10")).parent.name
    'searches'
    """

    root: Path = field(default_factory=_default_root)

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser())

    def search_path(self, query: MastQuery) -> Path:
        """Where the result of `query` is stored."""
        return self.root / "searches" / f"{query.key}.ecsv"

    def product_path(self, product: Row) -> Path:
        """Where the file of one search result row is stored.

        Raises
        ------
        CacheError
            If the row's collection, observation id or file name is not a plain file name.
        """
        parts = [str(product[column]) for column in ("obs_collection", "obs_id", "productFilename")]
        if any(part in ("", ".", "..") or Path(part).name != part for part in parts):
            raise CacheError(f"{'/'.join(parts)}: not a MAST product file name")
        return self.root.joinpath("mastDownload", *parts)

    def load_search(self, query: MastQuery) -> Table | None:
        """The stored result of `query`, or None when there is none.

        A corrupted entry (unreadable, truncated, written for another query) is reported with a
        warning, removed, and treated as absent, so that the search is asked again.
        """
        path = self.search_path(query)
        if not path.exists():
            return None
        try:
            products = Table.read(path, format="ascii.ecsv")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem: str | None = f"unreadable ({exc})"
        else:
            problem = _search_entry_problem(products, query)
        if problem is None:
            return products
        warnings.warn(f"{path}: corrupted cache entry, {problem}; asking MAST again", stacklevel=2)
        path.unlink(missing_ok=True)
        return None

    def save_search(self, query: MastQuery, products: Table) -> Path:
        """Store the result of `query` (atomically) and return its path.

        Raises
        ------
        CacheError
            If the cache folder cannot be written.
        """
        entry = products.copy(copy_data=False)
        entry.meta = {"astrolens_query": query.to_dict(), "astrolens_rows": len(products)}
        path = self.search_path(query)
        self._write_atomically(
            path, lambda tmp: entry.write(tmp, format="ascii.ecsv", overwrite=True)
        )
        return path

    def has_product(self, product: Row) -> bool:
        """Whether the file of `product` is stored and intact.

        A damaged file (wrong size, not FITS) is reported with a warning and removed.
        """
        path = self.product_path(product)
        if not path.exists():
            return False
        problem = _file_problem(path, product)
        if problem is None:
            return True
        warnings.warn(
            f"{path}: corrupted cache file, {problem}; downloading it again", stacklevel=2
        )
        path.unlink(missing_ok=True)
        return False

    def add_product(self, downloaded: Path, product: Row) -> Path:
        """Move a freshly downloaded file (from `staging`) to its place; return the new path."""
        path = self.product_path(product)
        self._make_folder(path.parent)
        os.replace(downloaded, path)
        return path

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A temporary folder inside the cache, removed on exit, to download into."""
        self._make_folder(self.root)
        folder = Path(tempfile.mkdtemp(dir=self.root, prefix=".staging-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _write_atomically(self, path: Path, write: Callable[[Path], None]) -> None:
        self._make_folder(path.parent)
        try:
            with written_atomically(path) as temporary:
                write(temporary)
        except OSError as exc:
            raise CacheError(f"{path}: cannot write the cache entry ({exc})") from exc

    def _make_folder(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                f"{folder}: cannot create the cache folder ({exc}); "
                f"set {CACHE_ENV_VAR} or pass MastCache(root) with a writable folder"
            ) from exc


def search(
    target: str | int | SkyCoord,
    *,
    mission: str | Sequence[str] | None = None,
    author: str | Sequence[str] | None = None,
    exptime: str | float | u.Quantity | None = None,
    quarter: int | Sequence[int] | None = None,
    campaign: int | Sequence[int] | None = None,
    sector: int | Sequence[int] | None = None,
    radius: float | u.Quantity | None = None,
    cache: MastCache | None = None,
) -> Table:
    """List the Kepler, K2 and TESS light curve files MAST holds for a target.

    The answer is stored in `cache`; asking the same thing again reads it from disk and does not
    touch the network. A search that reaches MAST but matches nothing (unknown name, filters that
    exclude everything) returns an empty table, which is not written to the cache.

    Parameters
    ----------
    target
        Object name ("Kepler-10"), catalogue id ("KIC 10002792", "EPIC 211117077",
        "TIC 358108509", or a number with a single `mission`), `SkyCoord`, or "RA Dec" string
        ("287.86721 +46.98308", "19:11:28.1 +46:58:59").
    mission, author, exptime, quarter, campaign, sector, radius
        Filters, see `MastQuery.build`. By default only the official pipeline products
        (authors "Kepler", "K2", "SPOC") are listed.
    cache
        Where results are kept; default ``MastCache()``.

    Returns
    -------
    astropy.table.Table
        One row per light curve file, columns `KEY_COLUMNS` first (``target_name``, ``mission``
        such as "Kepler Quarter 02", ``author``, ``exptime`` in s, ``year``, ``distance`` in
        arcsec, ``productFilename``, ``dataURI``), then the other MAST columns.

    Raises
    ------
    ArchiveUnavailable
        If MAST cannot be reached (within about `PROBE_TIMEOUT_S` seconds) or fails to answer.
    ValueError
        If the target or a filter cannot be understood.

    Examples
    --------
    >>> products = search("Kepler-10", author="Kepler", exptime="long")  # doctest: +SKIP
    >>> products["mission", "productFilename"][:2]  # doctest: +SKIP
    """
    query = MastQuery.build(
        target,
        mission=mission,
        author=author,
        exptime=exptime,
        quarter=quarter,
        campaign=campaign,
        sector=sector,
        radius=radius,
    )
    return _search(query, cache if cache is not None else MastCache())


def download(
    target: str | int | SkyCoord | Table,
    *,
    mission: str | Sequence[str] | None = None,
    author: str | Sequence[str] | None = None,
    exptime: str | float | u.Quantity | None = None,
    quarter: int | Sequence[int] | None = None,
    campaign: int | Sequence[int] | None = None,
    sector: int | Sequence[int] | None = None,
    radius: float | u.Quantity | None = None,
    cache: MastCache | None = None,
    progress: bool = True,
) -> list[Path]:
    """Download the light curve files of a target (or of chosen `search` rows) into the cache.

    Files already in the cache are not downloaded again; when all are there, nothing touches the
    network.

    Parameters
    ----------
    target
        What `search` accepts, or a table of rows returned by `search` (then give no filters).
    mission, author, exptime, quarter, campaign, sector, radius
        Filters, see `search`.
    cache
        Where results and files are kept; default ``MastCache()``.
    progress
        Show a progress bar while downloading.

    Returns
    -------
    list of pathlib.Path
        Local FITS files, one per search row, in the order of `search`.

    Raises
    ------
    ArchiveUnavailable
        If MAST cannot be reached or a download fails.
    InvalidLightCurve
        If MAST has no light curve matching the target and filters.

    Examples
    --------
    >>> paths = download("KIC 10002792", quarter=2)  # doctest: +SKIP
    >>> paths[0].name  # doctest: +SKIP
    'kplr010002792-2009259160929_llc.fits'
    """
    cache = cache if cache is not None else MastCache()
    filters = {
        "mission": mission,
        "author": author,
        "exptime": exptime,
        "quarter": quarter,
        "campaign": campaign,
        "sector": sector,
        "radius": radius,
    }
    if isinstance(target, Table):
        given = sorted(name for name, value in filters.items() if value is not None)
        if given:
            raise TypeError(f"filters {given} apply to a target, not to a table of search rows")
        products, source = target, "search rows"
    else:
        query = MastQuery.build(target, **filters)
        products, source = _search(query, cache), query.describe()
    if len(products) == 0:
        raise InvalidLightCurve(
            source,
            "MAST has no light curve matching this; check the name, or widen the filters "
            "(author='any', another mission, a search radius)",
        )
    missing = [index for index, product in enumerate(products) if not cache.has_product(product)]
    if missing:
        _download_products(products[missing], cache, progress=progress)
    return [cache.product_path(product) for product in products]


def fetch(
    target: str | int | SkyCoord | Table,
    *,
    mission: str | Sequence[str] | None = None,
    author: str | Sequence[str] | None = None,
    exptime: str | float | u.Quantity | None = None,
    quarter: int | Sequence[int] | None = None,
    campaign: int | Sequence[int] | None = None,
    sector: int | Sequence[int] | None = None,
    radius: float | u.Quantity | None = None,
    cache: MastCache | None = None,
    progress: bool = True,
) -> list[lk.LightCurve]:
    """Download the light curves of a target and read them with `astrolens.sources.read`.

    Parameters and errors are those of `download` (plus the reader's `InvalidLightCurve`).

    Returns
    -------
    list of lightkurve.LightCurve
        One light curve per file, in the order of `search`.

    Examples
    --------
    >>> light_curves = fetch("TIC 358108509", sector=1)  # doctest: +SKIP
    >>> light_curves[0].meta["object_id"]  # doctest: +SKIP
    'TIC 358108509'
    """
    from astrolens.sources import read

    paths = download(
        target,
        mission=mission,
        author=author,
        exptime=exptime,
        quarter=quarter,
        campaign=campaign,
        sector=sector,
        radius=radius,
        cache=cache,
        progress=progress,
    )
    return [read(path) for path in paths]


def _search(query: MastQuery, cache: MastCache) -> Table:
    stored = cache.load_search(query)
    if stored is not None:
        return stored
    _require_mast(cache)
    with _archive_errors(cache, f"searching for {query.describe()}"):
        result = lk.search_lightcurve(**query.lightkurve_arguments())
    if len(result) == 0:
        return Table(
            names=KEY_COLUMNS, dtype=[str, str, str, float, int, float, str, str], masked=True
        )
    products = _tidy(result.table)
    cache.save_search(query, products)
    return products


def _download_products(products: Table, cache: MastCache, *, progress: bool) -> None:
    _require_mast(cache)
    with cache.staging() as staging:
        for index in tqdm(
            range(len(products)), desc="MAST downloads", unit="file", disable=not progress
        ):
            product = products[index : index + 1]
            name = product["productFilename"][0]
            with _archive_errors(cache, f"downloading {name}"):
                light_curve = lk.SearchResult(product).download(download_dir=str(staging))
            downloaded = Path(light_curve.meta["FILENAME"])
            problem = _file_problem(downloaded, product[0])
            if problem is not None:
                raise _unavailable(f"the download of {name} is damaged, {problem}", cache)
            cache.add_product(downloaded, product[0])


def _tidy(products: Table) -> Table:
    """The lightkurve result without display columns, objects as strings, key columns first."""
    tidy = products.copy()
    tidy.remove_columns([name for name in ("#", "sort_order") if name in tidy.colnames])
    for name in tidy.colnames:
        if tidy[name].dtype.kind == "O":
            tidy[name] = tidy[name].astype(str)
    tidy.meta.clear()
    first = [name for name in KEY_COLUMNS if name in tidy.colnames]
    return tidy[first + [name for name in tidy.colnames if name not in first]]


def _search_entry_problem(products: Table, query: MastQuery) -> str | None:
    if products.meta.get("astrolens_query") != query.to_dict():
        return "it was written for another query"
    if products.meta.get("astrolens_rows") != len(products):
        return f"it holds {len(products)} rows instead of {products.meta.get('astrolens_rows')}"
    missing = [name for name in _PRODUCT_COLUMNS if name not in products.colnames]
    if missing:
        return f"columns {missing} are missing"
    return None


def _file_problem(path: Path, product: Row) -> str | None:
    """Why a downloaded file is not the product MAST lists, or None when it looks right."""
    size = path.stat().st_size
    expected = product["size"] if "size" in product.colnames else None
    if expected is not None and not hasattr(expected, "mask") and size != int(expected):
        return f"{size} bytes instead of the {int(expected)} MAST lists"
    with path.open("rb") as stream:
        start = stream.read(len(_FITS_MAGIC[0]))
    if not start.startswith(_FITS_MAGIC):
        return "it is not a FITS file"
    return None


def _require_mast(cache: MastCache) -> None:
    problem = _probe_mast()
    if problem is not None:
        raise _unavailable(problem, cache)


def _probe_mast(
    address: tuple[str, int] | None = None, timeout_s: float = PROBE_TIMEOUT_S
) -> str | None:
    """Why MAST (or the proxy in front of it) takes no connection, or None when it does.

    The connection runs in a daemon thread so that a hanging DNS lookup is cut off too.
    """
    host, port = address if address is not None else _probe_address()
    outcome: list[str | None] = []

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                outcome.append(None)
        except socket.gaierror as exc:
            outcome.append(f"the name {host} does not resolve ({exc})")
        except OSError as exc:
            outcome.append(f"no connection to {host}:{port} ({exc})")

    thread = threading.Thread(target=connect, name="astrolens-mast-probe", daemon=True)
    thread.start()
    thread.join(timeout_s)
    return outcome[0] if outcome else f"no answer from {host}:{port} within {timeout_s:g} s"


def _probe_address() -> tuple[str, int]:
    """The host and port a request to MAST connects to: the HTTPS proxy if one is configured."""
    url = f"https://{MAST_HOST}"
    proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
    if not proxy:
        return MAST_HOST, MAST_PORT
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return parts.hostname or MAST_HOST, parts.port or (443 if parts.scheme == "https" else 80)


@contextmanager
def _archive_errors(cache: MastCache, action: str) -> Iterator[None]:
    """Re-raise the network errors of lightkurve, astroquery and requests as ArchiveUnavailable."""
    try:
        yield
    except (*_NETWORK_ERRORS, LightkurveError) as exc:
        raise _unavailable(f"{action} failed: {exc}", cache) from exc


def _unavailable(problem: str, cache: MastCache) -> ArchiveUnavailable:
    return ArchiveUnavailable(
        f"MAST ({MAST_HOST}) cannot be reached or did not answer: {problem}. "
        "Work from local files instead: astrolens.sources.read('path/to/file.fits') reads a "
        "Kepler, K2 or TESS light curve file, astrolens.sources.example_files() lists the bundled "
        f"examples, and searches and files downloaded before are kept in {cache.root} "
        "(repeating those calls works offline)."
    )


def _normalise_target(target: str | int | SkyCoord, missions: tuple[str, ...]) -> str:
    if isinstance(target, SkyCoord):
        return _format_coordinates(target)
    if isinstance(target, bool) or not isinstance(target, (str, Integral)):
        raise TypeError(
            f"target {target!r} is a {type(target).__name__}; give a name, an id or a SkyCoord"
        )
    text = " ".join(str(target).split())
    if not text:
        raise ValueError("the target is empty; give a name, an id or coordinates")
    if re.fullmatch(r"[+-]?\d+", text):
        return _catalogue_id(int(text), missions)
    match = _ID.match(text)
    if match:
        return f"{_ID_PREFIXES[match[1].lower()]} {int(match[2])}"
    tokens = text.replace(",", " ").split()
    if len(tokens) in (2, 6) and all(_COORDINATE_TOKEN.match(token) for token in tokens):
        return _format_coordinates(_parse_coordinates(tokens))
    return text


def _catalogue_id(number: int, missions: tuple[str, ...]) -> str:
    if number <= 0:
        raise ValueError(f"{number} is not a KIC, EPIC or TIC number (they are positive)")
    if len(missions) != 1:
        raise ValueError(
            f"{number} is ambiguous: write 'KIC {number}', 'EPIC {number}' or 'TIC {number}', "
            "or pass a single mission"
        )
    return f"{_MISSION_ID_PREFIX[missions[0]]} {number}"


def _parse_coordinates(tokens: list[str]) -> SkyCoord:
    in_degrees = len(tokens) == 2 and all(_DECIMAL.match(token) for token in tokens)
    unit = (u.deg, u.deg) if in_degrees else (u.hourangle, u.deg)
    text = " ".join(tokens)
    try:
        return SkyCoord(text, unit=unit, frame="icrs")
    except ValueError as exc:
        raise ValueError(
            f"cannot read {text!r} as sky coordinates ({exc}); write 'RA Dec' in degrees, "
            "e.g. '287.86721 +46.98308', or in hours and degrees, e.g. '19:11:28.1 +46:58:59'"
        ) from exc


def _format_coordinates(position: SkyCoord) -> str:
    if not position.isscalar:
        raise ValueError(f"give one sky position, not {len(position)}")
    icrs = position.icrs
    ra_deg = round(float(icrs.ra.deg), 6) % 360.0 + 0.0
    dec_deg = round(float(icrs.dec.deg), 6) + 0.0
    return f"{ra_deg:.6f} {dec_deg:+.6f}"


def _normalise_missions(
    mission: str | Sequence[str] | None, **sequences: int | Sequence[int] | None
) -> tuple[str, ...]:
    canonical = {name.lower(): name for name in MISSIONS}
    requested = MISSIONS if mission is None else _as_tuple(mission)
    unknown = [name for name in requested if str(name).lower() not in canonical]
    if unknown:
        raise ValueError(f"unknown mission(s) {unknown}; choose among {list(MISSIONS)}")
    chosen = {canonical[str(name).lower()] for name in requested}
    missions = tuple(name for name in MISSIONS if name in chosen)
    implied = [kind for kind, value in sequences.items() if value is not None]
    if len(implied) > 1:
        raise ValueError(f"give only one of quarter, campaign or sector, not {implied}")
    if not implied:
        return missions
    implied_mission = _SEQUENCE_MISSION[implied[0]]
    if implied_mission not in missions:
        raise ValueError(
            f"{implied[0]} selects {implied_mission} data, but mission is {list(missions)}"
        )
    return (implied_mission,)


def _normalise_authors(
    author: str | Sequence[str] | None, missions: tuple[str, ...]
) -> tuple[str, ...] | None:
    if author is None:
        return tuple(OFFICIAL_AUTHORS[name] for name in missions)
    authors = _as_tuple(author)
    if any(not isinstance(name, str) or not name.strip() for name in authors):
        raise ValueError(f"author must be a pipeline name or a list of them, not {author!r}")
    if any(name.strip().lower() in ("any", "all") for name in authors):
        return None
    return tuple(sorted({name.strip() for name in authors}))


def _normalise_exptime(exptime: str | float | u.Quantity | None) -> str | float | None:
    if exptime is None:
        return None
    if isinstance(exptime, str):
        if exptime.lower() not in EXPTIME_CLASSES:
            raise ValueError(f"exptime {exptime!r} is not one of {list(EXPTIME_CLASSES)}")
        return exptime.lower()
    seconds = exptime.to_value(u.s) if isinstance(exptime, u.Quantity) else exptime
    if isinstance(seconds, bool) or not isinstance(seconds, Real) or not seconds > 0:
        raise ValueError(f"exptime must be a positive number of seconds, not {exptime!r}")
    return float(seconds)


def _normalise_sequence(kind: str, numbers: int | Sequence[int] | None) -> tuple[int, ...] | None:
    if numbers is None:
        return None
    values = _as_tuple(numbers)
    if not values or any(
        isinstance(value, bool) or not isinstance(value, Integral) or value < 0 for value in values
    ):
        raise ValueError(
            f"{kind} must be a non-negative integer or a list of them, not {numbers!r}"
        )
    return tuple(sorted({int(value) for value in values}))


def _normalise_radius(radius: float | u.Quantity | None) -> float | None:
    if radius is None:
        return None
    arcsec = radius.to_value(u.arcsec) if isinstance(radius, u.Quantity) else radius
    if isinstance(arcsec, bool) or not isinstance(arcsec, Real) or not arcsec > 0:
        raise ValueError(f"radius must be a positive angle (arcsec or Quantity), not {radius!r}")
    return float(arcsec)


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return (value,) if isinstance(value, (str, Integral)) else tuple(value)


def _sequence_argument(numbers: tuple[int, ...] | None) -> list[int] | None:
    return None if numbers is None else list(numbers)
