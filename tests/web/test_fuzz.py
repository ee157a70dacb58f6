"""Every endpoint fuzzed from the served OpenAPI schema (schemathesis): no input, valid or not,
makes a server error, and every 4xx says what was wrong."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis", reason="needs the Python package schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    status_code_conformance,
)

ENDPOINTS = [
    ("GET", "/api/health"),
    ("GET", "/api/indexes"),
    ("GET", "/api/catalog"),
    ("GET", "/api/objects/{object_id}"),
    ("GET", "/api/thumbnails/{object_id}.png"),
    ("GET", "/api/example"),
    ("GET", "/api/anomalies"),
    ("GET", "/api/map"),
    ("GET", "/api/search/object"),
    ("GET", "/api/search/coordinates"),
    ("GET", "/api/search/examples"),
    ("GET", "/api/search/random"),
    ("POST", "/api/search/upload"),
]
WITHOUT_INPUT = {"/api/indexes"}
"""Endpoints that take no parameter, so there is no invalid input to make up."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in ENDPOINTS
    for mode in GenerationMode
    if mode.is_positive or path not in WITHOUT_INPUT
]


@pytest.fixture(scope="session")
def api_schema(server):
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def test_every_endpoint_is_fuzzed(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert sorted((op.method.upper(), op.path) for op in operations) == sorted(ENDPOINTS)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_input_makes_a_server_error(api_schema, method, path, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call_and_validate(checks=CHECKS, timeout=60)
        if 400 <= response.status_code < 500:
            detail = response.json()["detail"]
            assert isinstance(detail, str) and detail.strip(), response.text

    fuzz()
