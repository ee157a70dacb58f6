"""Speed of the FFT Morlet transform against PyWavelets, and of whole power images.

1. ``morlet_power`` against ``pywt.cwt(..., method="fft")`` (complex Morlet ``cmor2.0-C``, the same
   wavelet) on a 4096-sample light curve at 64 scales (the default period grid, 1 h to 30 d), timed
   alternately on one thread (numpy.fft, which pywt uses, is single-threaded; astrolens asks
   scipy.fft for one worker); the ratio of the medians is the figure of merit (target >= 8x).
2. ``prepare`` + ``power_image`` per light curve for a Kepler quarter (~4400 long cadences) and a
   TESS 2-min sector (~19000 cadences, binned to ~1300 grid cells), with the filter bank cached as
   it is when a survey of equal-length light curves is processed.

Usage: ``python benchmarks/bench_cwt.py [--quick]``
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import pywt
from timing import alternating_medians, median_seconds

from astrolens.preprocess import KEPLER_LONG_CADENCE_DAYS, prepare
from astrolens.wavelets import WaveletConfig, fourier_factor, morlet_power, power_image

SEED = 20240521


def synthetic_flux(time: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Relative flux: noise, two sines and a transit-like dip every 7.3 days."""
    flux = rng.normal(0.0, 1e-3, time.size)
    flux += 2e-3 * np.sin(2 * np.pi * time / 3.1) + 1e-3 * np.sin(2 * np.pi * time / 0.37)
    flux[(time % 7.3) < 0.15] -= 5e-3
    return flux


def bench_transform(repeats: int) -> None:
    rng = np.random.default_rng(SEED)
    n_samples = 4096
    flux = synthetic_flux(np.arange(n_samples) * KEPLER_LONG_CADENCE_DAYS, rng)
    periods = WaveletConfig().periods_days
    omega0 = 6.0
    scales_in_samples = periods / fourier_factor(omega0) / KEPLER_LONG_CADENCE_DAYS
    wavelet = f"cmor2.0-{omega0 / (2 * np.pi)}"

    def baseline() -> object:
        return pywt.cwt(flux, scales_in_samples, wavelet, method="fft")

    def ours() -> object:
        return morlet_power(flux, KEPLER_LONG_CADENCE_DAYS, periods, omega0)

    baseline_s, ours_s = alternating_medians(baseline, ours, repeats)
    print(f"CWT of {n_samples} samples at {periods.size} scales, median of {repeats} (1 thread)")
    print(f"  {'method':<40} {'ms':>8}")
    print(f"  {'pywt.cwt(method=fft), cmor2.0-0.955':<40} {baseline_s * 1e3:8.2f}")
    print(f"  {'astrolens morlet_power':<40} {ours_s * 1e3:8.2f}")
    print(f"  speed-up: {baseline_s / ours_s:.1f}x (target >= 8x)")


def bench_power_images(repeats: int) -> None:
    rng = np.random.default_rng(SEED + 1)
    cases = {
        "Kepler quarter (29.4 min, 90 d)": np.arange(0.0, 90.0, 29.4243814 / 1440),
        "TESS 2-min sector (27.4 d)": np.arange(0.0, 27.4, 2 / 1440),
    }
    print(f"\nprepare + power_image per light curve, median of {repeats} (1 thread)")
    print(f"  {'light curve':<34} {'cadences':>8} {'grid':>6} {'prepare ms':>11} {'image ms':>9}")
    totals = []
    for name, time_days in cases.items():
        flux = 1e4 * (1 + synthetic_flux(time_days, rng))
        series = prepare(time_days, flux)
        power_image(series)  # the filter bank of this length is cached from now on
        prepare_s = median_seconds(lambda t=time_days, f=flux: prepare(t, f), repeats)
        image_s = median_seconds(lambda s=series: power_image(s), repeats)
        totals.append(prepare_s + image_s)
        print(
            f"  {name:<34} {time_days.size:>8} {series.time_days.size:>6} "
            f"{prepare_s * 1e3:>11.2f} {image_s * 1e3:>9.2f}"
        )
    rates = ", ".join(f"{1 / total:.0f}" for total in totals)
    print(f"  light curves per second, one core (Kepler, TESS): {rates}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, a smoke run")
    args = parser.parse_args()
    repeats = 3 if args.quick else 41
    machine = platform.processor() or platform.machine()
    print(f"{machine}, numpy {np.__version__}, pywt {pywt.__version__}")
    bench_transform(repeats)
    bench_power_images(repeats)


if __name__ == "__main__":
    main()
