"""Images of the simulated galaxies: :func:`render_galaxy` (flux) and :func:`render_rgb` (display).

An image is rebuilt from its catalogue row alone (:mod:`~astrolens.simulate.galaxies.survey`):

1. Every component is drawn *before* the atmosphere on a grid twice as fine as the pixels, at unit
   flux, and added to each band with the band fluxes of its own colours (bulges red; disks bluer;
   arms, clumps, rings and arcs bluer still). Smooth components are GalSim profiles
   (``galsim.Sersic`` bulges, spheroids and bars, ``galsim.Exponential`` disks, a
   ``galsim.Moffat`` halo around bright stars) sheared and dilated into their projected shapes and
   drawn in real space (``method="no_pixel"``). Spiral arms, bars' arms, rings, lensed arcs,
   star-forming clumps, tidal tails, field stars and trails are sums of many small Gaussian knots
   placed along their curves (a logarithmic spiral, a circle, a circular arc, a straight line),
   evaluated in NumPy as one matrix product per component: hundreds of GalSim profiles per image
   would cost tens of milliseconds each, and knots blur into continuous, slightly clumpy arms at
   the seeing as real arms do. An edge-on disk's dust lane multiplies the disk and bulge by a
   band-dependent transmission (DECam ratios ``A_r/A_g = 0.67``, ``A_z/A_g = 0.38``, Schlafly &
   Finkbeiner 2011, ApJ 737, 103).
2. Each band is convolved (FFT) with the row's point-spread function, a ``galsim.Moffat`` of
   ``beta = 3.5`` and the row's FWHM drawn on the fine grid (a Moffat rather than a Kolmogorov
   profile: finite second moments, and close to DECam's core), then binned 2x2: the pixel
   response. The same PSF is used in every band.
3. Noise: the image in nanomaggies becomes counts (a gain per band chosen so that a point source
   at the Legacy Surveys' 5-sigma depths g 24.0, r 23.4, z 22.5 has S/N 5 at 1.3 arcsec seeing
   and nominal sky, Dey et al. 2019), the row's sky is added and ``galsim.PoissonNoise`` draws
   the counts, the sky is subtracted and the image goes back to nanomaggies: sky-subtracted like
   the Legacy Surveys' coadds.
4. Artefacts on top: pixels above the saturation level (60 nanomaggies) are clipped, and a
   saturated star bleeds along the columns, farther the more flux it has.

Units: nanomaggies per pixel (``mag = 22.5 - 2.5 log10(flux)``), the Legacy Surveys' unit.
The same row gives the same bits on one machine with the same NumPy, SciPy and GalSim versions:
every random draw comes from the row's ``seed`` (structure: NumPy stream ``(seed, 0)``; noise:
GalSim deviates seeded from stream ``(seed, 1)``).

Speed: about 60 images of 64 x 64 x 3 per second on one core (a 2.x GHz cloud CPU, NumPy 2.4,
GalSim 2.8.5; measured over the classes of the ``tiny`` survey), so the 20,000-object demo
survey renders in about 3 minutes with two workers.

GalSim (https://github.com/GalSim-developers/GalSim) is BSD-3-Clause licensed: Rowe et al. 2015,
"GALSIM: The modular galaxy image simulation toolkit", Astronomy and Computing 10, 121.

Not simulated: per-band seeing, a spatially varying or pixelised PSF, correlated noise of
resampled coadds, cosmic rays, masking of artefacts, and real galaxy morphologies.

Examples
--------
>>> from astrolens.simulate.galaxies.survey import GalaxySurveyConfig, generate_galaxy_catalog
>>> row = generate_galaxy_catalog(GalaxySurveyConfig(n_objects=11, seed=3)).iloc[0]
>>> image = render_galaxy(row)
>>> image.shape, image.dtype
((3, 64, 64), dtype('float32'))
>>> bool(np.array_equal(image, render_galaxy(row)))
True
>>> render_rgb(image).shape
(64, 64, 3)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import galsim
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import fft

from astrolens.simulate.galaxies.classes import galaxy_class_named

__all__ = [
    "DEPTH_5SIGMA",
    "SATURATION_NMGY",
    "counts_per_nanomaggy",
    "flux_from_mag",
    "render_galaxy",
    "render_rgb",
]

DEPTH_5SIGMA = {"g": 24.0, "r": 23.4, "z": 22.5}
"""5-sigma point-source depths (AB mag) of the noise model: the DECaLS targets (Dey et al. 2019)."""

SATURATION_NMGY = 60.0
"""Saturation level of a pixel, nanomaggies (a DECam exposure saturates near r = 14.5 mag)."""

_NOMINAL_SKY = {"g": 22.04, "r": 20.91, "z": 18.46}
_NOMINAL_SEEING_ARCSEC = 1.3
_OVERSAMPLING = 2
_MOFFAT_BETA = 3.5
_DUST_RATIO = {"g": 1.0, "r": 0.67, "z": 0.38}
_BLUER_G_R, _BLUER_R_Z = 0.2, 0.1
"""How much bluer than their disk arms, clumps, rings and tails are."""


def flux_from_mag(mag: float) -> float:
    """Flux in nanomaggies of an AB magnitude.

    Examples
    --------
    >>> flux_from_mag(22.5), flux_from_mag(17.5)
    (1.0, 100.0)
    """
    return float(10.0 ** (-0.4 * (float(mag) - 22.5)))


def counts_per_nanomaggy(band: str, pixel_scale_arcsec: float) -> float:
    """Gain of the noise model: counts per nanomaggy that give the band its 5-sigma depth.

    A point source at :data:`DEPTH_5SIGMA` has S/N 5 against the nominal sky at 1.3 arcsec seeing
    (Gaussian noise-equivalent area ``4 pi sigma**2``).

    Examples
    --------
    >>> round(counts_per_nanomaggy("r", 0.262))
    2173
    """
    sky = flux_from_mag(_NOMINAL_SKY[band]) * pixel_scale_arcsec**2
    sigma_pixels = _NOMINAL_SEEING_ARCSEC / 2.3548 / pixel_scale_arcsec
    noise = flux_from_mag(DEPTH_5SIGMA[band]) / 5.0 / np.sqrt(4 * np.pi * sigma_pixels**2)
    return float(sky / noise**2)


class _Scene:
    """The bands of one image before the atmosphere, on a grid finer than the pixels."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.bands = tuple(str(row["bands"]))
        self.size = int(row["image_size"]) * _OVERSAMPLING
        self.scale = float(row["pixel_scale_arcsec"]) / _OVERSAMPLING
        self.coords = (np.arange(self.size) - (self.size - 1) / 2) * self.scale
        self.half_width = self.size * self.scale / 2
        self.flux = np.zeros((len(self.bands), self.size, self.size))

    def band_fluxes(self, flux_r: float, g_r: float, r_z: float) -> NDArray[np.float64]:
        colour = {"g": -g_r, "r": 0.0, "z": r_z}
        return np.array([flux_r * 10 ** (0.4 * colour[band]) for band in self.bands])

    def add(
        self,
        unit_image: NDArray,
        flux_r: float,
        g_r: float,
        r_z: float,
        transmission: NDArray | None = None,
    ) -> None:
        """Add a unit-flux image with the band fluxes of its colours."""
        for index, flux in enumerate(self.band_fluxes(flux_r, g_r, r_z)):
            image = unit_image if transmission is None else unit_image * transmission[index]
            self.flux[index] += flux * image

    def draw(self, profile: galsim.GSObject, x: float = 0.0, y: float = 0.0) -> NDArray:
        """A unit-flux GalSim profile centred at ``(x, y)`` arcsec, drawn without the pixel."""
        image = galsim.ImageD(self.size, self.size, scale=self.scale)
        profile.withFlux(1.0).shift(x, y).drawImage(image=image, method="no_pixel")
        return image.array

    def knots(self, x: NDArray, y: NDArray, sigma: NDArray, weight: NDArray) -> NDArray:
        """Gaussian knots at ``(x, y)`` arcsec, widths ``sigma``, total flux 1 split by weight."""
        sigma = np.maximum(np.broadcast_to(sigma, x.shape), 0.6 * self.scale)[:, None]
        weight = weight / weight.sum()
        along_x = np.exp(-0.5 * ((self.coords - x[:, None]) / sigma) ** 2)
        along_y = np.exp(-0.5 * ((self.coords - y[:, None]) / sigma) ** 2)
        norm = (self.scale / sigma) ** 2 / (2 * np.pi)
        return (along_y * (weight[:, None] * norm)).T @ along_x

    def line(self, angle_deg: float, offset: float, density: NDArray | None = None) -> NDArray:
        """A straight line at ``angle_deg`` passing ``offset`` arcsec from the centre: flux per
        arcsec of length 1 (times ``density(distance along)`` if given, on the fine grid)."""
        angle = np.radians(angle_deg)
        x, y = np.meshgrid(self.coords, self.coords)
        across = -x * np.sin(angle) + y * np.cos(angle) - offset
        sigma = 0.6 * self.scale
        image = np.exp(-0.5 * (across / sigma) ** 2) / (np.sqrt(2 * np.pi) * sigma) * self.scale**2
        if density is not None:
            image = image * density(x * np.cos(angle) + y * np.sin(angle))
        return image


def _projected(
    profile: galsim.GSObject, axis_ratio: float, position_angle_deg: float
) -> galsim.GSObject:
    """A round profile seen as an ellipse: major axis kept, minor axis times ``axis_ratio``."""
    return profile.dilate(np.sqrt(axis_ratio)).shear(
        q=axis_ratio, beta=position_angle_deg * galsim.degrees
    )


def _to_sky(
    u: NDArray, v: NDArray, axis_ratio: float, position_angle_deg: float
) -> tuple[NDArray, NDArray]:
    """Disk-plane coordinates (line of nodes along u) to the sky, arcsec."""
    angle = np.radians(position_angle_deg)
    v = v * axis_ratio
    return u * np.cos(angle) - v * np.sin(angle), u * np.sin(angle) + v * np.cos(angle)


def _sersic(n: float, radius: float) -> galsim.Sersic:
    return galsim.Sersic(n=float(np.clip(n, 0.3, 6.2)), half_light_radius=radius)


def _bulge_and_disk(
    scene: _Scene,
    row: Mapping[str, Any],
    flux_r: float,
    *,
    disk_share: float,
    x: float = 0.0,
    y: float = 0.0,
    transmission: NDArray | None = None,
) -> None:
    """The bulge (its share of ``flux_r``) and ``disk_share`` of ``flux_r`` in a smooth disk."""
    q, angle = float(row["axis_ratio"]), float(row["position_angle_deg"])
    bulge_share = float(row["bulge_fraction"])
    if bulge_share > 0:
        bulge_q = q if bulge_share >= 1 else max(q, 0.6)
        bulge = _projected(_sersic(row["sersic_n"], row["bulge_radius_arcsec"]), bulge_q, angle)
        scene.add(
            scene.draw(bulge, x, y),
            flux_r * bulge_share,
            row["bulge_g_r"],
            row["bulge_r_z"],
            transmission,
        )
    if disk_share > 0:
        disk_profile = (
            _sersic(row["sersic_n"], row["half_light_radius_arcsec"])
            if row["class"] == "irregular"
            else galsim.Exponential(half_light_radius=float(row["half_light_radius_arcsec"]))
        )
        disk = scene.draw(_projected(disk_profile, q, angle), x, y)
        scene.add(disk, flux_r * disk_share, row["disk_g_r"], row["disk_r_z"], transmission)


def _blue_knots(scene: _Scene, row: Mapping[str, Any], image: NDArray, flux_r: float) -> None:
    scene.add(image, flux_r, row["disk_g_r"] - _BLUER_G_R, row["disk_r_z"] - _BLUER_R_Z)


def _spiral_arms(
    scene: _Scene, row: Mapping[str, Any], rng: np.random.Generator, flux_r: float
) -> None:
    """Knots along ``arm_count`` logarithmic spirals from the bulge (or bar ends) outwards."""
    scale_length = float(row["half_light_radius_arcsec"]) / 1.678
    bar = row.get("bar_length_arcsec", np.nan)
    r_in = float(bar) if np.isfinite(bar) else 0.5 * scale_length
    r_out = 4.0 * scale_length
    tan_pitch = np.tan(np.radians(row["pitch_angle_deg"]))
    arm_count = int(row["arm_count"])
    phase = np.radians(row["bar_angle_deg"]) if np.isfinite(bar) else rng.uniform(0, 2 * np.pi)
    sense = rng.choice([-1.0, 1.0])
    n_knots = 160
    t = np.linspace(0.0, np.log(r_out / r_in), n_knots)
    radius = r_in * np.exp(t)
    u, v, sigma, weight = [], [], [], []
    for arm in range(arm_count):
        theta = phase + 2 * np.pi * arm / arm_count + sense * t / tan_pitch
        jitter = 1 + 0.04 * rng.standard_normal(n_knots)
        u.append(radius * jitter * np.cos(theta))
        v.append(radius * jitter * np.sin(theta))
        sigma.append(0.07 * scale_length + 0.05 * radius)
        ramp = np.clip((radius - r_in) / (0.5 * r_in + 1e-9), 0, 1)
        clumps = rng.lognormal(0.0, 0.6, n_knots)
        weight.append(ramp * radius**2 * np.exp(-radius / scale_length) * clumps)
    x, y = _to_sky(
        np.concatenate(u), np.concatenate(v), row["axis_ratio"], row["position_angle_deg"]
    )
    sky_sigma = np.concatenate(sigma) * np.sqrt(row["axis_ratio"])
    _blue_knots(scene, row, scene.knots(x, y, sky_sigma, np.concatenate(weight)), flux_r)


def _bar(scene: _Scene, row: Mapping[str, Any], flux_r: float) -> None:
    q, angle = float(row["axis_ratio"]), float(row["position_angle_deg"])
    bar_q = float(row["bar_axis_ratio"])
    in_plane = _projected(
        _sersic(0.6, 0.6 * row["bar_length_arcsec"]), bar_q, row["bar_angle_deg"] + angle
    )
    projected = in_plane.dilate(np.sqrt(q)).shear(q=q, beta=angle * galsim.degrees)
    scene.add(scene.draw(projected), flux_r, row["bulge_g_r"] - 0.1, row["bulge_r_z"] - 0.05)


def _dust_lane(scene: _Scene, row: Mapping[str, Any]) -> NDArray:
    """Per-band transmission of an edge-on disk's dust lane along its major axis."""
    angle = np.radians(row["position_angle_deg"])
    x, y = np.meshgrid(scene.coords, scene.coords)
    along = x * np.cos(angle) + y * np.sin(angle)
    radius = float(row["half_light_radius_arcsec"])
    width = max(0.3 * row["axis_ratio"] * radius, 0.15)
    across = -x * np.sin(angle) + y * np.cos(angle) - 0.5 * width
    lane = np.exp(-0.5 * (across / width) ** 2) * np.exp(-0.5 * (along / (1.5 * radius)) ** 2)
    depth = float(row["dust_lane_depth"])
    return np.stack([1 - depth * _DUST_RATIO[band] * lane for band in scene.bands])


def _clumps(scene: _Scene, row: Mapping[str, Any], rng: np.random.Generator, flux_r: float) -> None:
    radius = float(row["half_light_radius_arcsec"])
    n = int(row["n_clumps"])
    u, v = rng.normal(0.0, 0.7 * radius, (2, n))
    x, y = _to_sky(u, v, row["axis_ratio"], row["position_angle_deg"])
    sigma = radius * rng.uniform(0.04, 0.1, n)
    _blue_knots(scene, row, scene.knots(x, y, sigma, rng.lognormal(0, 0.7, n)), flux_r)


def _ring(scene: _Scene, row: Mapping[str, Any], rng: np.random.Generator, flux_r: float) -> None:
    radius = float(row["ring_radius_arcsec"])
    n = 120
    theta = rng.uniform(0, 2 * np.pi, n)
    r = radius * (1 + 0.04 * rng.standard_normal(n))
    x, y = _to_sky(
        r * np.cos(theta), r * np.sin(theta), row["axis_ratio"], row["position_angle_deg"]
    )
    sigma = np.full(n, max(0.08 * radius, 0.18))
    _blue_knots(scene, row, scene.knots(x, y, sigma, rng.lognormal(0, 0.6, n)), flux_r)


def _arc(scene: _Scene, row: Mapping[str, Any], rng: np.random.Generator) -> None:
    """A lensed arc on the Einstein circle and a faint counter-image opposite."""
    radius = float(row["einstein_radius_arcsec"])
    middle, length = np.radians(row["arc_angle_deg"]), np.radians(row["arc_length_deg"])
    n = 120
    phi = middle + length * np.linspace(-0.5, 0.5, n)
    weight = np.sin(np.linspace(0.05, np.pi - 0.05, n)) ** 0.5 * rng.lognormal(0, 0.3, n)
    x = np.append(radius * np.cos(phi), -0.55 * radius * np.cos(middle))
    y = np.append(radius * np.sin(phi), -0.55 * radius * np.sin(middle))
    weight = np.append(weight, 0.12 * weight.sum())
    sigma = np.append(np.full(n, 0.15), 0.2)
    image = scene.knots(x, y, sigma, weight)
    scene.add(image, flux_from_mag(row["arc_mag_r"]), row["arc_g_r"], row["arc_r_z"])


def _tail(
    scene: _Scene,
    row: Mapping[str, Any],
    rng: np.random.Generator,
    origin: tuple[float, float],
    direction: float,
) -> NDArray:
    length = float(row["tail_length_arcsec"])
    s = np.linspace(0.2, 1.0, 60)
    bend = rng.choice([-1.0, 1.0]) * rng.uniform(0.6, 1.4)
    angle = direction + bend * s
    x = origin[0] + length * s * np.cos(angle)
    y = origin[1] + length * s * np.sin(angle)
    sigma = (0.08 + 0.1 * s) * length
    return scene.knots(x, y, sigma, np.exp(-2 * s) * rng.lognormal(0, 0.3, s.size))


def _merger(scene: _Scene, row: Mapping[str, Any], rng: np.random.Generator, flux_r: float) -> None:
    """Two bulge-plus-disk galaxies about their centre of light and a tidal tail from each."""
    ratio = float(row["companion_flux_ratio"])
    angle = np.radians(row["companion_angle_deg"])
    offset = float(row["companion_offset_arcsec"])
    dx, dy = offset * np.cos(angle), offset * np.sin(angle)
    main = (-dx * ratio / (1 + ratio), -dy * ratio / (1 + ratio))
    other = (main[0] + dx, main[1] + dy)
    tails = float(row["tail_flux_fraction"])
    _bulge_and_disk(
        scene, row, flux_r * (1 - tails), disk_share=1 - row["bulge_fraction"], x=main[0], y=main[1]
    )
    companion = dict(row)
    companion["half_light_radius_arcsec"] = row["half_light_radius_arcsec"] * np.sqrt(ratio)
    companion["bulge_radius_arcsec"] = row["bulge_radius_arcsec"] * np.sqrt(ratio)
    companion["axis_ratio"] = rng.uniform(0.4, 1.0)
    companion["position_angle_deg"] = rng.uniform(0, 180)
    _bulge_and_disk(
        scene,
        companion,
        flux_r * ratio * (1 - tails),
        disk_share=1 - row["bulge_fraction"],
        x=other[0],
        y=other[1],
    )
    tail_image = _tail(scene, row, rng, main, angle + np.pi) + _tail(scene, row, rng, other, angle)
    _blue_knots(scene, row, tail_image / 2, flux_r * (1 + ratio) * tails)


def _trail(scene: _Scene, row: Mapping[str, Any]) -> None:
    image = scene.line(row["trail_angle_deg"], row["trail_offset_arcsec"])
    band = scene.bands.index(row["trail_band"]) if row["trail_band"] in scene.bands else None
    if band is not None:
        scene.flux[band] += flux_from_mag(row["trail_mag_per_arcsec"]) * image


def _bright_star(
    scene: _Scene, row: Mapping[str, Any], rng: np.random.Generator
) -> tuple[float, float]:
    """A bright star at a small offset, its halo and four diffraction spikes; its position."""
    x, y = rng.uniform(-1.5, 1.5, 2)
    flux = flux_from_mag(row["star_mag_r"])
    colours = (row["star_g_r"], row["star_r_z"])
    point = scene.knots(np.array([x]), np.array([y]), np.array([0.0]), np.array([1.0]))
    halo = scene.draw(galsim.Moffat(beta=2.0, fwhm=4.0 * row["seeing_fwhm_arcsec"]), x, y)
    scene.add(0.98 * point + 0.02 * halo, flux, *colours)
    spikes = np.zeros_like(point)
    for turn in (0.0, 90.0):
        angle = row["spike_angle_deg"] + turn
        offset = -x * np.sin(np.radians(angle)) + y * np.cos(np.radians(angle))
        centre = x * np.cos(np.radians(angle)) + y * np.sin(np.radians(angle))
        spikes += scene.line(angle, offset, lambda s, c=centre: 1 / (1 + ((s - c) / 2.0) ** 2))
    scene.add(spikes, 1.5e-3 * flux, *colours)
    return x, y


def _field(scene: _Scene, row: Mapping[str, Any], rng: np.random.Generator) -> None:
    """Other galaxies (r 19.5-23) away from the centre and stars (r 17-22.5) anywhere."""
    for _ in range(int(row["n_neighbours"])):
        radius = rng.uniform(4.0, scene.half_width * 1.2)
        angle = rng.uniform(0, 2 * np.pi)
        profile = (
            galsim.DeVaucouleurs(half_light_radius=rng.uniform(0.3, 0.8))
            if rng.uniform() < 0.4
            else galsim.Exponential(half_light_radius=rng.uniform(0.3, 1.2))
        )
        profile = _projected(profile, rng.uniform(0.3, 1.0), rng.uniform(0, 180))
        image = scene.draw(profile, radius * np.cos(angle), radius * np.sin(angle))
        red = rng.uniform() < 0.5
        scene.add(
            image, flux_from_mag(rng.uniform(19.5, 23.0)), 0.8 if red else 0.4, 0.45 if red else 0.3
        )
    n_stars = int(row["n_field_stars"])
    if n_stars:
        x, y = rng.uniform(-scene.half_width, scene.half_width, (2, n_stars))
        for index in range(n_stars):
            image = scene.knots(x[index : index + 1], y[index : index + 1], np.zeros(1), np.ones(1))
            scene.add(
                image,
                flux_from_mag(rng.uniform(17.0, 22.5)),
                rng.uniform(0.3, 1.4),
                rng.uniform(0.0, 0.8),
            )


def _main_object(scene: _Scene, row: Mapping[str, Any], rng: np.random.Generator) -> None:
    name = row["class"]
    if name in ("satellite_trail", "saturated_star"):
        return
    flux_r = flux_from_mag(row["mag_r"])
    disk_share = 1 - float(row["bulge_fraction"])
    if name in ("spiral", "barred_spiral"):
        bar_share = float(row["bar_flux_fraction"]) if name == "barred_spiral" else 0.0
        arms = disk_share * float(row["arm_flux_fraction"])
        _bulge_and_disk(scene, row, flux_r, disk_share=disk_share - arms - bar_share)
        _spiral_arms(scene, row, rng, flux_r * arms)
        if bar_share:
            _bar(scene, row, flux_r * bar_share)
    elif name == "edge_on_disk":
        _bulge_and_disk(
            scene, row, flux_r, disk_share=disk_share, transmission=_dust_lane(scene, row)
        )
    elif name == "irregular":
        clumps = float(row["clump_flux_fraction"])
        _bulge_and_disk(scene, row, flux_r, disk_share=1 - clumps)
        _clumps(scene, row, rng, flux_r * clumps)
    elif name == "ring":
        ring = float(row["ring_flux_fraction"])
        _bulge_and_disk(scene, row, flux_r, disk_share=disk_share - ring)
        _ring(scene, row, rng, flux_r * ring)
    elif name == "merger":
        _merger(scene, row, rng, flux_r)
    else:
        _bulge_and_disk(scene, row, flux_r, disk_share=disk_share)
        if name == "lens_arc":
            _arc(scene, row, rng)


def _psf_convolved(scene: _Scene, seeing_fwhm_arcsec: float) -> NDArray:
    """Each band convolved with the Moffat PSF (odd kernel: centred) and binned to the pixels."""
    kernel_size = scene.size + 1
    psf = galsim.Moffat(beta=_MOFFAT_BETA, fwhm=seeing_fwhm_arcsec)
    kernel = psf.drawImage(
        nx=kernel_size, ny=kernel_size, scale=scene.scale, method="no_pixel"
    ).array
    kernel = kernel / kernel.sum()
    shape = (2 * scene.size, 2 * scene.size)
    product = fft.rfft2(scene.flux, s=shape) * fft.rfft2(kernel, s=shape)
    start = kernel_size // 2
    full = fft.irfft2(product, s=shape)[:, start : start + scene.size, start : start + scene.size]
    n_bands, size = full.shape[0], scene.size // _OVERSAMPLING
    return full.reshape(n_bands, size, _OVERSAMPLING, size, _OVERSAMPLING).sum(axis=(2, 4))


def _add_noise(image: NDArray, row: Mapping[str, Any], bands: tuple[str, ...]) -> NDArray:
    """Poisson noise of the source and the row's sky in counts; sky-subtracted nanomaggies."""
    seeds = np.random.default_rng([int(row["seed"]), 1]).integers(1, 2**31, len(bands))
    scale = float(row["pixel_scale_arcsec"])
    noisy = np.empty_like(image)
    for index, band in enumerate(bands):
        gain = counts_per_nanomaggy(band, scale)
        sky = flux_from_mag(row[f"sky_mag_arcsec2_{band}"]) * scale**2 * gain
        counts = galsim.ImageD(np.maximum(image[index], 0.0) * gain, scale=scale)
        counts.addNoise(galsim.PoissonNoise(galsim.BaseDeviate(int(seeds[index])), sky_level=sky))
        noisy[index] = counts.array / gain
    return noisy


def _saturate(image: NDArray, star_x_pixel: float | None) -> NDArray:
    """Clip at :data:`SATURATION_NMGY`; a saturated star bleeds up and down its columns."""
    if star_x_pixel is not None:
        size = image.shape[-1]
        column = round(star_x_pixel)
        saturated_rows = np.flatnonzero(image[:, :, column].max(axis=0) >= SATURATION_NMGY)
        if saturated_rows.size:
            excess = float(np.clip(image - SATURATION_NMGY, 0, None).sum(axis=(1, 2)).max())
            reach = int(min(0.5 * np.sqrt(excess / SATURATION_NMGY), size))
            low = max(saturated_rows.min() - reach, 0)
            high = min(saturated_rows.max() + reach + 1, size)
            image[:, low:high, max(column - 1, 0) : column + 2] = SATURATION_NMGY
    return np.minimum(image, SATURATION_NMGY)


def render_galaxy(row: Mapping[str, Any] | pd.Series) -> NDArray[np.float32]:
    """The image of a catalogue row: ``(bands, size, size)`` float32 nanomaggies per pixel.

    See the module documentation for what is drawn and how.

    Raises
    ------
    ValueError
        If the row's class is not a known class.
    """
    params = row.to_dict() if isinstance(row, pd.Series) else dict(row)
    galaxy_class_named(params["class"])
    rng = np.random.default_rng([int(params["seed"]), 0])
    scene = _Scene(params)
    _main_object(scene, params, rng)
    star_x = None
    if params["class"] == "saturated_star":
        x, _ = _bright_star(scene, params, rng)
        star_x = x / float(params["pixel_scale_arcsec"]) + (int(params["image_size"]) - 1) / 2
    elif params["class"] == "satellite_trail":
        _trail(scene, params)
    _field(scene, params, rng)
    image = _psf_convolved(scene, float(params["seeing_fwhm_arcsec"]))
    image = _add_noise(image, params, scene.bands)
    return _saturate(image, star_x).astype(np.float32)


_RGB_SCALES = {"g": (2, 6.0), "r": (1, 3.4), "z": (0, 2.2)}
"""Band -> (RGB plane, scale) of the Legacy Surveys' viewer colour images (legacypipe)."""


def render_rgb(
    image: NDArray, bands: tuple[str, ...] = ("g", "r", "z"), *, softening: float = 20.0
) -> NDArray[np.uint8]:
    """An asinh-stretched colour image for display (Lupton et al. 2004, PASP 116, 133).

    The bands (nanomaggies) are scaled as the Legacy Surveys' viewer does (z red, r green, g
    blue), their mean intensity ``I`` is stretched to ``asinh(Q I) / sqrt(Q)`` and every band
    keeps its share of ``I``, so colours survive the stretch.

    Examples
    --------
    >>> rgb = render_rgb(np.zeros((3, 8, 8), dtype=np.float32))
    >>> rgb.shape, rgb.dtype, int(rgb.max())
    ((8, 8, 3), dtype('uint8'), 32)
    """
    offset = 0.03
    planes = np.zeros((*image.shape[1:], 3))
    scaled = []
    for band_image, band in zip(image, bands, strict=True):
        plane, scale = _RGB_SCALES[band]
        scaled.append((plane, np.maximum(band_image * scale + offset, 0.0)))
    intensity = sum(values for _, values in scaled) / len(scaled)
    intensity = np.maximum(intensity, 1e-6)
    stretch = np.arcsinh(softening * intensity) / np.sqrt(softening)
    for plane, values in scaled:
        planes[..., plane] = values * stretch / intensity
    return (np.clip(planes, 0.0, 1.0) * 255).astype(np.uint8)
