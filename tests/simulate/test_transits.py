"""Transiting planets: depth against radius ratio, duration, limb darkening, the overlap area."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from astrolens.simulate import OBSERVING_MODES, astrophysical_flux, lightcurve_arrays
from astrolens.simulate.transits import (
    limb_darkened_depth,
    occulted_fraction,
    transit_duration_days,
    transit_flux,
)


def test_depth_is_the_radius_ratio_squared_within_limb_darkening(bright_sample):
    for _, row in bright_sample("TRANSIT", "tess_2min", 12).iterrows():
        params = row.to_dict() | {"cadence_days": 0.0}
        depth = 1.0 - astrophysical_flux(params, np.array([row["epoch_days"]]))[0]
        p2 = row["radius_ratio"] ** 2
        u1, u2 = row["limb_darkening_u1"], row["limb_darkening_u2"]
        # limb darkening: between the limb and the centre of the limb-darkened disc
        assert (1 - u1 - u2) / (1 - u1 / 3 - u2 / 6) * p2 <= depth <= p2 / (1 - u1 / 3 - u2 / 6)
        assert depth == pytest.approx(row["amplitude"], rel=1e-6)


def test_transit_is_seen_in_the_noisy_light_curve(bright_sample):
    for _, row in bright_sample("TRANSIT", "kepler_long", 6).iterrows():
        time, flux, _, quality = lightcurve_arrays(row)
        good = np.isfinite(flux) & (quality == 0)
        phase_days = (time - row["epoch_days"] + 0.5 * row["period_days"]) % row["period_days"]
        phase_days -= 0.5 * row["period_days"]
        half = row["duration_hours"] / 48
        inside = good & (np.abs(phase_days) < 0.3 * half)
        outside = good & (np.abs(phase_days) > 1.5 * half)
        if inside.sum() < 5:
            continue
        measured = np.median(flux[outside]) - np.median(flux[inside])
        exposure_loss = 0.3 if row["duration_hours"] < 3 else 0.1
        assert measured == pytest.approx(row["amplitude"], rel=exposure_loss, abs=3e-4)


def test_duration_from_first_to_last_contact():
    period, p, a, b = 4.0, 0.1, 12.0, 0.4
    expected = transit_duration_days(period, p, a, b)
    time = np.linspace(-0.3, 0.3, 60_001)
    flux = transit_flux(
        time,
        period_days=period,
        epoch_days=0.0,
        radius_ratio=p,
        a_over_rstar=a,
        impact_parameter=b,
        u1=0.4,
        u2=0.26,
    )
    measured = (flux < 1.0).sum() * (time[1] - time[0])
    assert measured == pytest.approx(expected, rel=1e-3)


def test_small_planet_approximation_against_a_numerical_disc_integral():
    """Mandel & Agol (2002) small-planet flux against brute-force integration over a pixel grid."""
    u1, u2, p = 0.4, 0.26, 0.05
    grid = np.linspace(-1, 1, 2001)
    x, y = np.meshgrid(grid, grid)
    r2 = x**2 + y**2
    mu = np.sqrt(np.clip(1 - r2, 0, None))
    intensity = np.where(r2 <= 1, 1 - u1 * (1 - mu) - u2 * (1 - mu) ** 2, 0.0)
    total = intensity.sum()
    for z in (0.0, 0.5, 0.8, 0.98, 1.02):
        blocked = intensity[(x - z) ** 2 + y**2 <= p**2].sum() / total
        angle = np.arcsin(z / 20.0)  # a/R* = 20, b = 0: separation z at this orbital angle
        model = transit_flux(
            np.array([angle / (2 * np.pi) * 10.0]),
            period_days=10.0,
            epoch_days=0.0,
            radius_ratio=p,
            a_over_rstar=20.0,
            impact_parameter=0.0,
            u1=u1,
            u2=u2,
        )
        assert 1 - model[0] == pytest.approx(blocked, rel=0.05, abs=2e-5)


def test_exposure_smooths_but_keeps_the_transit_area():
    common = {
        "period_days": 5.0,
        "epoch_days": 0.0,
        "radius_ratio": 0.1,
        "a_over_rstar": 15.0,
        "impact_parameter": 0.2,
        "u1": 0.4,
        "u2": 0.26,
    }
    time = np.arange(-0.5, 0.5, 0.002)
    sharp = transit_flux(time, **common)
    smooth = transit_flux(time, **common, exposure_days=OBSERVING_MODES["kepler_long"].cadence_days)
    assert (1 - smooth).max() < (1 - sharp).max()
    assert (1 - smooth).sum() == pytest.approx((1 - sharp).sum(), rel=1e-3)


@settings(max_examples=50, deadline=None)
@given(p=st.floats(0.01, 3.0), z=st.floats(0.0, 5.0), dz=st.floats(0.001, 1.0))
@example(p=0.9999999999999999, z=0.9999999999999999, dz=0.9999999999999999)  # grazing rounding
def test_occulted_fraction_is_bounded_and_shrinks_with_separation(p, z, dz):
    near, far = occulted_fraction(p, np.array([z, z + dz]))
    assert 0.0 <= far <= near + 1e-12 <= min(1.0, p**2) + 2e-12


@settings(max_examples=30, deadline=None)
@given(
    p=st.floats(0.01, 0.3), b=st.floats(0.0, 0.7), u1=st.floats(0.0, 0.6), u2=st.floats(0.0, 0.3)
)
def test_mid_transit_depth_formula(p, b, u1, u2):
    flux = transit_flux(
        np.array([0.0]),
        period_days=3.0,
        epoch_days=0.0,
        radius_ratio=p,
        a_over_rstar=10.0,
        impact_parameter=b,
        u1=u1,
        u2=u2,
    )
    if b + p < 1:
        assert 1 - flux[0] == pytest.approx(float(limb_darkened_depth(p, b, u1, u2)), rel=1e-9)
