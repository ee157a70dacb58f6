"""Rendering: reproducibility, photometry, PSF, shapes, structure, arcs, trails, colour images."""

from __future__ import annotations

import itertools

import galsim
import numpy as np
import pytest

from astrolens.simulate.galaxies import GALAXY_CLASS_NAMES, render_galaxy, render_rgb


def _moments(image: np.ndarray, scale: float = 0.262) -> galsim.hsm.ShapeData:
    return galsim.hsm.FindAdaptiveMom(galsim.ImageF(image.astype(np.float32), scale=scale))


def _radius_grid(size: int = 64, scale: float = 0.262) -> tuple[np.ndarray, np.ndarray]:
    coords = (np.arange(size) - (size - 1) / 2) * scale
    x, y = np.meshgrid(coords, coords)
    return np.hypot(x, y), np.arctan2(y, x)


def test_every_class_renders_reproducibly_and_differs_for_another_seed(tiny_galaxies):
    for name in GALAXY_CLASS_NAMES:
        row = tiny_galaxies[tiny_galaxies["class"] == name].iloc[0]
        image = render_galaxy(row)
        assert image.shape == (3, 64, 64) and image.dtype == np.float32, name
        assert np.isfinite(image).all(), name
        assert np.array_equal(image, render_galaxy(row)), name
    reseeded = row.copy()
    reseeded["seed"] = row["seed"] + 1
    assert not np.array_equal(image, render_galaxy(reseeded))


def test_flux_scales_with_magnitude(clean_row):
    faint = clean_row("elliptical", mag_r=18.0)
    bright = clean_row("elliptical", mag_r=17.0)
    ratio = render_galaxy(bright)[1].sum() / render_galaxy(faint)[1].sum()
    assert ratio == pytest.approx(10**0.4, rel=0.03)


def test_psf_size_follows_the_seeing(clean_row):
    sigmas = {}
    for seeing in (0.9, 1.6):
        point = clean_row(
            "elliptical", mag_r=17.0, half_light_radius_arcsec=0.01, bulge_radius_arcsec=0.01,
            seeing_fwhm_arcsec=seeing,
        )  # fmt: skip
        sigmas[seeing] = _moments(render_galaxy(point)[1]).moments_sigma
    assert sigmas[1.6] / sigmas[0.9] == pytest.approx(1.6 / 0.9, rel=0.1)


def test_edge_on_disk_is_elongated_and_face_on_disk_round(clean_row):
    edge_on = clean_row(
        "edge_on_disk", mag_r=16.0, half_light_radius_arcsec=3.0, bulge_fraction=0.0,
        seeing_fwhm_arcsec=1.0,
    )  # fmt: skip
    assert _moments(render_galaxy(edge_on)[1]).observed_shape.q < 0.4
    face_on = clean_row("lenticular", mag_r=16.0, axis_ratio=1.0, half_light_radius_arcsec=3.0)
    assert _moments(render_galaxy(face_on)[1]).observed_shape.q > 0.85


def _azimuthal_residual(image: np.ndarray, inner: float, outer: float) -> float:
    """Flux-normalised RMS around the azimuthal mean in rings between inner and outer arcsec."""
    radius, _ = _radius_grid()
    edges = np.linspace(inner, outer, 8)
    residual, total = 0.0, 0.0
    for low, high in itertools.pairwise(edges):
        ring = image[(radius >= low) & (radius < high)]
        residual += np.sum((ring - ring.mean()) ** 2)
        total += np.sum(ring) ** 2 / ring.size
    return float(np.sqrt(residual / total))


def test_spiral_has_more_azimuthal_structure_than_an_elliptical(clean_row):
    shape = {
        "mag_r": 15.5,
        "half_light_radius_arcsec": 3.0,
        "axis_ratio": 1.0,
        "bulge_fraction": 0.1,
    }
    spiral = render_galaxy(clean_row("spiral", **shape, seeing_fwhm_arcsec=1.0))[1]
    elliptical = render_galaxy(clean_row("elliptical", **shape, seeing_fwhm_arcsec=1.0))[1]
    assert _azimuthal_residual(spiral, 1.0, 6.0) > 2 * _azimuthal_residual(elliptical, 1.0, 6.0)


def test_lens_arc_flux_sits_at_the_einstein_radius(clean_row):
    lens = clean_row("lens_arc", einstein_radius_arcsec=2.5, arc_mag_r=18.0, seeing_fwhm_arcsec=1.0)
    no_arc = lens.copy()
    no_arc["arc_mag_r"] = 40.0
    arc = render_galaxy(lens)[0] - render_galaxy(no_arc)[0]
    radius, _ = _radius_grid()
    edges = np.arange(0.0, 6.0, 0.5)
    profile = [arc[(radius >= low) & (radius < low + 0.5)].sum() for low in edges]
    assert edges[int(np.argmax(profile))] + 0.25 == pytest.approx(2.5, abs=0.5)


def test_satellite_trail_crosses_the_image_in_its_band(clean_row):
    trail = clean_row(
        "satellite_trail", trail_angle_deg=0.0, trail_offset_arcsec=0.0, trail_band="r",
        trail_mag_per_arcsec=22.0,
    )  # fmt: skip
    image = render_galaxy(trail)
    sky_sigma = np.std(image[1, :20])
    for columns in (slice(0, 8), slice(28, 36), slice(56, 64)):
        assert image[1, 31:33, columns].mean() > 5 * sky_sigma / np.sqrt(16)
    assert image[0, 31:33].mean() < 3 * np.std(image[0, :20]) / np.sqrt(128)


def test_saturated_star_is_clipped(clean_row):
    image = render_galaxy(clean_row("saturated_star", star_mag_r=10.0))
    assert image.max() == pytest.approx(60.0)
    assert (image[1] >= 60.0).sum() > 20


def test_rgb_stretch_gives_uint8_in_range(clean_row):
    rgb = render_rgb(render_galaxy(clean_row("spiral")))
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    assert 0 < rgb.mean() < 255 and rgb.max() > 100


def test_unknown_class_in_a_row_is_rejected(clean_row):
    with pytest.raises(ValueError, match="unknown galaxy class 'blazar'; known: elliptical"):
        render_galaxy(clean_row("spiral", **{"class": "blazar"}))
