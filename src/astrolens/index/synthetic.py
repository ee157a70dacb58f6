"""Clustered synthetic embeddings, shaped like those of a survey, for index tests and benchmarks.

Real embeddings of light curves gather by variability class and sub-type: many clusters of very
different sizes and widths, each elongated along a few directions, some overlapping. The mixture
here imitates that:

- ``n_clusters`` centres drawn from N(0, I);
- cluster sizes proportional to log-normal weights (sigma 1: a few big clusters, many small);
- each cluster a Gaussian with per-axis standard deviation ``spread * s_c * a_j``, where
  ``s_c`` is log-normal (sigma 0.3) and the axis scales ``a_j`` fall off as ``j**-0.5``
  (shuffled per cluster; mean square 1), so each cluster has a few dominant directions.

With the defaults (3000 clusters, spread 0.7) about 2% of a vector's 10 nearest neighbours belong
to another cluster. Rows are drawn in chunks, each from its own random stream, so a 10-million-row
set can be generated chunk by chunk in bounded memory.

Examples
--------
>>> mixture = ClusteredEmbeddings(dimension=8, n_clusters=5, seed=1)
>>> vectors, labels = mixture.sample(1000)
>>> vectors.shape, vectors.dtype.name, int(labels.max()) < 5
((1000, 8), 'float32', True)
>>> bool(np.array_equal(mixture.sample(1000)[0], vectors))
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from astrolens.config import JsonConfig

__all__ = ["ClusteredEmbeddings"]

_MIXTURE_STREAM = 0


@dataclass(frozen=True)
class ClusteredEmbeddings(JsonConfig):
    """A seeded Gaussian mixture of embeddings (see the module's docstring).

    Parameters
    ----------
    dimension
        Length of each vector.
    n_clusters
        Number of mixture components.
    spread
        Overall width of the clusters relative to the spread of their centres (1 per axis).
    seed
        Seed of the mixture and of every sample drawn from it.
    """

    dimension: int = 64
    n_clusters: int = 3000
    spread: float = 0.7
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dimension < 1 or self.n_clusters < 1 or self.spread <= 0:
            raise ValueError(
                "dimension and n_clusters must be positive and spread > 0, got "
                f"{self.dimension}, {self.n_clusters}, {self.spread}"
            )

    @cached_property
    def _mixture(self) -> tuple[NDArray[np.float32], NDArray[np.float64], NDArray[np.float32]]:
        rng = np.random.default_rng([self.seed, _MIXTURE_STREAM])
        centres = rng.standard_normal((self.n_clusters, self.dimension)).astype(np.float32)
        weights = rng.lognormal(0.0, 1.0, self.n_clusters)
        widths = self.spread * rng.lognormal(0.0, 0.3, self.n_clusters)
        axes = np.arange(1, self.dimension + 1) ** -0.5
        axes /= np.sqrt(np.mean(axes**2))
        scales = np.stack([rng.permutation(axes) for _ in range(self.n_clusters)])
        return centres, weights / weights.sum(), (widths[:, None] * scales).astype(np.float32)

    @property
    def centres(self) -> NDArray[np.float32]:
        """``(n_clusters, dimension)`` cluster centres."""
        return self._mixture[0]

    def sample(self, n: int, stream: int = 1) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """``n`` vectors and the cluster of each, from random stream ``stream``.

        Use one stream for the database and another for queries: queries are then new points
        of the same mixture.
        """
        return self._draw(n, np.random.default_rng([self.seed, stream]))

    def chunks(
        self, n: int, chunk_size: int = 1_000_000, stream: int = 1
    ) -> Iterator[NDArray[np.float32]]:
        """``n`` vectors in chunks of ``chunk_size`` rows; chunk ``i`` uses its own random stream.

        Examples
        --------
        >>> mixture = ClusteredEmbeddings(dimension=4, n_clusters=3)
        >>> [len(chunk) for chunk in mixture.chunks(10, chunk_size=4)]
        [4, 4, 2]
        """
        for number, start in enumerate(range(0, n, chunk_size)):
            rng = np.random.default_rng([self.seed, stream, number])
            yield self._draw(min(chunk_size, n - start), rng)[0]

    def _draw(
        self, n: int, rng: np.random.Generator
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        centres, weights, scales = self._mixture
        labels = rng.choice(self.n_clusters, size=n, p=weights)
        noise = rng.standard_normal((n, self.dimension), dtype=np.float32)
        return centres[labels] + noise * scales[labels], labels
