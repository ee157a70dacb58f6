"""The embedded demo survey: simulated Kepler and TESS light curves of 16 variability classes.

astrolens runs its whole pipeline offline on a simulated survey that looks like a real one:
pulsating stars drawn from real OGLE-III catalogue rows, binaries, transiting planets, spotted and
flaring stars, granulating giants and constant stars, observed at Kepler long cadence and TESS
2-min and 10-min cadence with realistic gaps, quality flags, noise and systematics, and, in a
mixed-cadence survey (:data:`MIXED_CADENCE_MIX`), by ground-based surveys (OGLE, MACHO, ASAS, ZTF:
nightly epochs in seasons over years, :mod:`astrolens.simulate.ground`), some of them twins of a
space object. The catalogue stores one row per object; light curves are regenerated from their
row on demand.

Main entry points:

- :func:`simulate_survey` -- write a named survey (``tiny``, ``demo``, ``large``) to ``catalogs/``;
- :func:`read_catalog`, :func:`lightcurve_arrays`, :func:`lightcurve`, :func:`iter_lightcurves`,
  :func:`source_arrays` -- read a catalogue and regenerate light curves;
- :func:`export_fits` -- write mission-format FITS files that ``lightkurve.read`` opens;
- :func:`make_gallery` -- one example light curve per class in one figure.

Examples
--------
>>> from astrolens import simulate
>>> catalog = simulate.generate_catalog(simulate.SurveyConfig.named("tiny"))
>>> sorted(catalog["class"].unique()) == sorted(simulate.CLASSES)
True
"""

from astrolens.simulate.classes import CLASSES, DrawContext, VariabilityClass
from astrolens.simulate.export import export_fits, fits_filename, write_fits
from astrolens.simulate.gallery import make_gallery
from astrolens.simulate.ground import GROUND_MODES, GroundMode
from astrolens.simulate.observations import OBSERVING_MODES, ObservingMode
from astrolens.simulate.survey import (
    CATALOG_COLUMNS,
    DEFAULT_SEED,
    MIXED_CADENCE_MIX,
    MODES,
    SIZES,
    SimulatedArrays,
    SurveyConfig,
    astrophysical_flux,
    catalog_chunk,
    catalog_path,
    generate_catalog,
    iter_catalog_chunks,
    iter_lightcurves,
    lightcurve,
    lightcurve_arrays,
    observing_mode,
    read_catalog,
    signal_to_noise,
    simulate_survey,
    source_arrays,
    write_survey,
)

__all__ = [
    "CATALOG_COLUMNS",
    "CLASSES",
    "DEFAULT_SEED",
    "GROUND_MODES",
    "MIXED_CADENCE_MIX",
    "MODES",
    "OBSERVING_MODES",
    "SIZES",
    "DrawContext",
    "GroundMode",
    "ObservingMode",
    "SimulatedArrays",
    "SurveyConfig",
    "VariabilityClass",
    "astrophysical_flux",
    "catalog_chunk",
    "catalog_path",
    "export_fits",
    "fits_filename",
    "generate_catalog",
    "iter_catalog_chunks",
    "iter_lightcurves",
    "lightcurve",
    "lightcurve_arrays",
    "make_gallery",
    "observing_mode",
    "read_catalog",
    "signal_to_noise",
    "simulate_survey",
    "source_arrays",
    "write_fits",
    "write_survey",
]
