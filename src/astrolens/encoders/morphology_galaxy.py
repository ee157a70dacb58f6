"""The morphology baseline of galaxy images: their standardised morphology as the embedding.

What a galaxy astronomer tries first, and what every learned galaxy encoder is compared with: the
numbers of :func:`astrolens.morphology.morphology_and_colours` measured on the cutout (the
representation ``"morphology"`` of :mod:`astrolens.modalities.galaxy`): concentration and
asymmetry (CAS, Conselice 2003, ApJS 147, 1), Gini and M20 (Lotz, Primack & Madau 2004, AJ 128,
163), ellipticity, size and depth, and the ``g - r`` and ``r - z`` colours of the central light.
As the light-curve features baseline (:mod:`astrolens.encoders.features`) does, each number is
centred on its median and divided by its spread (half the 16-84 percentile range) over the
training set, and clipped to +-10; fitting learns only these two numbers per column: no neural
network, nothing random. The numbers barely change when a picture is turned by right angles or
mirrored, so neither does the embedding. Saved as ``morphology.json`` in the run folder with the
names of the numbers, so a run made with other numbers is refused rather than misread.

Examples
--------
>>> from astrolens.morphology import MORPHOLOGY_AND_COLOUR_NAMES
>>> from astrolens.trainconfig import TrainConfig
>>> config = TrainConfig(survey="galaxies-tiny", encoder="morphology_galaxy")
>>> n = len(MORPHOLOGY_AND_COLOUR_NAMES)
>>> encoder = MorphologyGalaxy.create(config, ("spiral", "ring"), (n,))
>>> encoder.centre, encoder.scale = np.zeros(n), np.full(n, 2.0)
>>> encoder.embed(np.full((1, n), 3.0, np.float32))[0, :3].tolist()
[1.5, 1.5, 1.5]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from astrolens.encoders.features import FeaturesEncoder
from astrolens.errors import CacheError
from astrolens.morphology import MORPHOLOGY_AND_COLOUR_NAMES

if TYPE_CHECKING:
    from astrolens.trainconfig import TrainConfig

__all__ = ["MORPHOLOGY_FILE", "MorphologyGalaxy"]

MORPHOLOGY_FILE = "morphology.json"
"""The encoder's file in a run folder: names of the numbers, centres and scales."""


class MorphologyGalaxy(FeaturesEncoder):
    """Standardised morphology and colours of a galaxy cutout (see the module description): the
    features baseline's fit and embedding, on another modality's numbers."""

    name: ClassVar[str] = "morphology_galaxy"
    representation: ClassVar[str] = "morphology"
    modality: ClassVar[str] = "galaxy_image"

    def __init__(
        self,
        config: TrainConfig,
        class_names: tuple[str, ...],
        centre: NDArray[np.float64] | None = None,
        scale: NDArray[np.float64] | None = None,
    ) -> None:
        n = len(MORPHOLOGY_AND_COLOUR_NAMES)
        super().__init__(
            config,
            class_names,
            np.zeros(n) if centre is None else centre,
            np.ones(n) if scale is None else scale,
        )

    @classmethod
    def model_inputs(
        cls, batch: dict[str, NDArray[Any]], config: TrainConfig
    ) -> NDArray[np.float32]:
        return np.asarray(batch["morphology"], dtype=np.float32)

    def save(self, folder: Path) -> None:
        record = {
            "names": list(MORPHOLOGY_AND_COLOUR_NAMES),
            "centre": self.centre.tolist(),
            "scale": self.scale.tolist(),
        }
        (Path(folder) / MORPHOLOGY_FILE).write_text(json.dumps(record, indent=2) + "\n")

    @classmethod
    def load(
        cls, folder: Path, config: TrainConfig, class_names: tuple[str, ...]
    ) -> MorphologyGalaxy:
        path = Path(folder) / MORPHOLOGY_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{folder}: not a training run (no {MORPHOLOGY_FILE})")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            names, centre, scale = record["names"], record["centre"], record["scale"]
        except (ValueError, KeyError, TypeError) as error:
            raise CacheError(f"{path}: unreadable ({error})") from error
        if tuple(names) != MORPHOLOGY_AND_COLOUR_NAMES or {len(centre), len(scale)} != {len(names)}:
            raise CacheError(
                f"{path}: made with other galaxy morphology numbers ({', '.join(map(str, names))})"
                f" than astrolens measures now ({', '.join(MORPHOLOGY_AND_COLOUR_NAMES)}); "
                "train the run again"
            )
        return cls(config, class_names, np.asarray(centre), np.asarray(scale))
