"""Similarity search: "what else looks like this?"

- :mod:`astrolens.search.core`: :class:`SimilaritySearch` (queries by object, position, light
  curve, embedding or several examples, with :class:`Filters`), :class:`SearchResult`, and the
  :class:`Search` protocol that front ends (web app, command line) depend on;
- :mod:`astrolens.search.service`: :func:`open_search`, the search service over an index folder
  (:class:`IndexedSearch`: index, catalogue and, loaded when first needed, its model run);
- :mod:`astrolens.search.domain`: whether a query is like anything the survey holds
  (:class:`DomainCheck`, on every search by light curve);
- :mod:`astrolens.search.figures`: the query beside its matches, and the distributions of the
  matches' physical parameters.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from astrolens.catalog import Catalog
>>> from astrolens.index import build_index
>>> table = pd.DataFrame({"object_id": ["a", "b", "c"], "ra": [0.0, 1, 2], "dec": [0.0, 0, 0]})
>>> vectors = np.array([[0, 0], [0, 1], [5, 5]], dtype=np.float32)
>>> search = SimilaritySearch(build_index(vectors, table["object_id"], run="demo",
...                                       progress=False), Catalog(table))
>>> isinstance(search, Search), search.by_object("a", k=1).matches["object_id"].tolist()
(True, ['b'])
"""

from astrolens.search.core import (
    COMBINE_METHODS,
    MAX_K,
    Filters,
    Query,
    QueryEncoder,
    Search,
    SearchConfig,
    SearchResult,
    SimilaritySearch,
    check_writable_file,
    parameter_distributions,
    parse_range,
)
from astrolens.search.domain import DomainCheck
from astrolens.search.service import IndexedSearch, open_search

__all__ = [
    "COMBINE_METHODS",
    "MAX_K",
    "DomainCheck",
    "Filters",
    "IndexedSearch",
    "Query",
    "QueryEncoder",
    "Search",
    "SearchConfig",
    "SearchResult",
    "SimilaritySearch",
    "check_writable_file",
    "open_search",
    "parameter_distributions",
    "parse_range",
]
