"""Speed of embedding light-curve files: ``astrolens.embed.embed_files`` against a seed-style loop.

Files: simulated Kepler long-cadence light curves (one quarter each, ~4200 cadences) written as
mission-format FITS files by ``astrolens.simulate.export_fits`` into a temporary folder.

1. Baseline (the first prototype's loop), per file: ``lightkurve.read``, NaN removal and
   normalisation, linear interpolation onto a uniform grid, ``pywt.cwt(..., "cmor2.0-0.955",
   method="fft")`` at the 64 periods of the power image, pooling onto 64 time bins and the same
   log scaling, then one ``model.predict`` per light curve. Slow, so timed on a subset.
2. ``embed_files(paths, workers=2)``: the bulk FITS reader, cleaning and the FFT transform in two
   worker processes, the model on fixed-size batches in this process, a Parquet table out.

Both use the default model (``runs/default``), or an untrained network of the same architecture
where there is none (the same speed); the baseline loop feeds a power image, so with a default
model that reads more (the hybrid encoder) it runs an untrained wavelet CNN. The worker
processes start once per process (about 2 s of imports); that first call is timed on its own,
then the steady rate is the median of alternating repeats. Figures of merit: light curves per
second (target >= 300) and the ratio to the baseline (target >= 10x).

Usage: ``python benchmarks/bench_embed.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import keras
import lightkurve as lk
import numpy as np
import pywt

from astrolens.embed import embed_files
from astrolens.encoders.wavelet_cnn import WaveletCNN, build_wavelet_cnn
from astrolens.preprocess import PreprocessConfig
from astrolens.runfolder import default_run_path
from astrolens.runs import TrainedRun, resolve_run
from astrolens.simulate import CLASSES, SurveyConfig, export_fits, generate_catalog
from astrolens.training import TrainConfig
from astrolens.wavelets import WaveletConfig, fourier_factor, harmonic_coherence

SEED = 20240611
TARGET_PER_SECOND = 300.0
TARGET_RATIO = 10.0


def default_or_untrained() -> tuple[TrainedRun, str]:
    """The default run, or an untrained default-architecture network if there is none."""
    try:
        return resolve_run(default_run_path()), "runs/default"
    except FileNotFoundError:
        keras.utils.set_random_seed(SEED)
        config = TrainConfig()
        encoder = WaveletCNN(build_wavelet_cnn(len(CLASSES)), config, tuple(CLASSES))
        run = TrainedRun(
            encoder, config, tuple(CLASSES), PreprocessConfig(), WaveletConfig(), Path(".")
        )
        return run, "untrained (no runs/default)"


def baseline_model(run: TrainedRun) -> keras.Model:
    """The network of the seed-style loop: the run's own if it reads the wavelet image, else an
    untrained wavelet CNN (the prototype's kind of model; training does not change its speed)."""
    if run.representation == "wavelet":
        return run.encoder.model
    keras.utils.set_random_seed(SEED)
    return build_wavelet_cnn(len(CLASSES), channels=4, period_bins=128)


def kepler_files(n_files: int, folder: Path) -> list[Path]:
    config = SurveyConfig(
        name="bench", n_objects=n_files, seed=SEED, mission_mix={"kepler_long": 1}
    )
    return export_fits(generate_catalog(config), folder, progress=False)


def seed_style_embeddings(paths: list[Path], model: keras.Model) -> np.ndarray:
    """One file at a time: lightkurve, pywt CWT (power and harmonic coherence), one
    ``model.predict`` each."""
    config = WaveletConfig()
    low, high = config.log10_power_range
    encoder = keras.Model(model.input, model.get_layer("embedding").output)
    vectors = []
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lc = lk.read(path).remove_nans().normalize()
        time_days = lc.time.value
        cadence = float(np.median(np.diff(time_days)))
        grid = np.arange(time_days[0], time_days[-1], cadence)
        flux = np.interp(grid, time_days, lc.flux.value - 1.0)
        scales = config.periods_days / fourier_factor(config.omega0) / cadence
        coefficients, _ = pywt.cwt(flux, scales, "cmor2.0-0.955", method="fft")
        power = np.abs(coefficients) ** 2 / scales[:, None]
        bins = np.array_split(power, config.n_time_bins, axis=1)
        pooled = np.stack([column.mean(axis=1) for column in bins], axis=1)
        image = np.clip((np.log10(pooled + 1e-30) - low) / (high - low), 0, 1)
        coherence = harmonic_coherence(coefficients, config.harmonic_offset)[:, None]
        harmonic = np.broadcast_to(coherence, image.shape)
        channels = [image, np.ones_like(image), harmonic.real, harmonic.imag]
        x = np.stack(channels, axis=-1)[None].astype(np.float32)
        vectors.append(encoder.predict(x, verbose=0)[0])
    return np.stack(vectors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: few files, one repeat")
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="another run folder (e.g. runs/features) to time on the same files",
    )
    args = parser.parse_args()
    n_files, n_baseline, repeats = (60, 8, 1) if args.quick else (600, 40, 3)

    run, model_name = default_or_untrained()
    prototype = baseline_model(run)
    with tempfile.TemporaryDirectory() as folder:
        paths = kepler_files(n_files, Path(folder) / "fits")
        out = Path(folder) / "embeddings.parquet"

        def ours() -> float:
            start = time.perf_counter()
            embed_files(paths, out, run=run, workers=2, progress=False)
            return time.perf_counter() - start

        def baseline() -> float:
            start = time.perf_counter()
            seed_style_embeddings(paths[:n_baseline], prototype)
            return time.perf_counter() - start

        start = time.perf_counter()
        embed_files(paths[:8], out, run=run, workers=2, progress=False)
        first_call = time.perf_counter() - start
        baseline()
        pairs = [(baseline(), ours()) for _ in range(repeats)]
        others = {}
        for folder in args.also:
            other = resolve_run(folder)
            embed_files(paths[:8], out, run=other, workers=2, progress=False)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                embed_files(paths, out, run=other, workers=2, progress=False)
                times.append(time.perf_counter() - start)
            others[f"{folder} ({other.config.encoder})"] = n_files / statistics.median(times)
    baseline_rate = n_baseline / statistics.median(b for b, _ in pairs)
    our_rate = n_files / statistics.median(o for _, o in pairs)

    print(
        f"Embedding Kepler long-cadence FITS files ({platform.processor() or 'cpu'}, "
        f"{os.cpu_count()} cores); model: {model_name}; median of {repeats}"
    )
    print(f"  {'method':<52} {'files':>6} {'lc/s':>8} {'ms/lc':>8}")
    print(
        f"  {'seed-style: lightkurve + pywt.cwt + predict per lc':<52} {n_baseline:>6} "
        f"{baseline_rate:8.1f} {1e3 / baseline_rate:8.2f}"
    )
    print(
        f"  {'astrolens embed_files, 2 workers':<52} {n_files:>6} "
        f"{our_rate:8.1f} {1e3 / our_rate:8.2f}"
    )
    for name, rate in others.items():
        print(
            f"  {'embed_files, 2 workers, ' + name:<52} {n_files:>6} {rate:8.1f} "
            f"{1e3 / rate:8.2f}  ({rate / our_rate:.2f}x {model_name})"
        )
    print(f"  first call of the process (8 files, starts the workers): {first_call:.1f} s")
    print(
        f"  rate: {our_rate:.0f} lc/s (target >= {TARGET_PER_SECOND:.0f}); "
        f"speed-up: {our_rate / baseline_rate:.1f}x (target >= {TARGET_RATIO:.0f}x)"
    )


if __name__ == "__main__":
    main()
