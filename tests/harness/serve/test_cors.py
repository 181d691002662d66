"""harness.serve.cors: which origins a CORS configuration allows, and the headers of each answer."""

from __future__ import annotations

import pytest

from harness.serve.cors import Cors, is_preflight

SHOP = {
    "allowOrigins": ["https://shop.example.com", "http://localhost:3000"],
    "allowMethods": ["POST"],
    "allowHeaders": ["content-type", "authorization"],
    "maxAge": 600,
}


def cors(**changes: object) -> Cors:
    found = Cors.of({**SHOP, **changes})
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        (["https://shop.example.com"], "https://shop.example.com", "https://shop.example.com"),
        (["https://shop.example.com"], "https://shop.example.com:8443", None),
        (["https://shop.example.com"], "http://shop.example.com", None),
        (["https://shop.example.com"], "https://SHOP.example.com", None),  # compared as text
        (["https://shop.example.com"], "https://shop.example.com.evil", None),
        (["https://shop.example.com"], None, None),
        (["https://shop.example.com"], "", None),
        (["*"], "https://anywhere.example", "*"),
        (["https://*"], "https://anywhere.example", "https://anywhere.example"),
        (["https://*"], "http://anywhere.example", None),
        (["http://*"], "http://localhost:3000", "http://localhost:3000"),
        (["http://*"], "https://localhost:3000", None),
    ],
)
def test_the_allowed_origins(origins: list[str], origin: str | None, allowed: str | None) -> None:
    assert cors(allowOrigins=origins).allowed_origin(origin) == allowed


def test_a_preflight_from_an_allowed_origin_gets_the_configuration() -> None:
    assert cors().preflight_headers("http://localhost:3000") == {
        "Access-Control-Allow-Origin": "http://localhost:3000",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "content-type,authorization",
        "Access-Control-Max-Age": "600",
    }


def test_credentials_and_exposed_headers_when_configured() -> None:
    config = cors(allowCredentials=True, exposeHeaders=["date", "x-api-id"])
    assert config.preflight_headers("https://shop.example.com")[
        "Access-Control-Allow-Credentials"
    ] == ("true")
    assert config.response_headers("https://shop.example.com") == {
        "Access-Control-Allow-Origin": "https://shop.example.com",
        "Access-Control-Expose-Headers": "date,x-api-id",
        "Access-Control-Allow-Credentials": "true",
    }


def test_an_origin_not_allowed_gets_no_cors_header_at_all() -> None:
    assert cors().preflight_headers("https://evil.example") == {}
    assert cors().response_headers("https://evil.example") == {}
    assert cors().response_headers(None) == {}


def test_a_response_names_only_the_origin() -> None:
    assert cors().response_headers("https://shop.example.com") == {
        "Access-Control-Allow-Origin": "https://shop.example.com"
    }


def test_no_configuration_is_no_cors() -> None:
    assert Cors.of(None) is None
    assert Cors.of({}) is None


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("OPTIONS", {"origin": "https://a", "access-control-request-method": "POST"}, True),
        ("OPTIONS", {"origin": "https://a"}, False),
        ("OPTIONS", {"access-control-request-method": "POST"}, False),
        ("POST", {"origin": "https://a", "access-control-request-method": "POST"}, False),
    ],
)
def test_a_preflight_needs_origin_and_the_requested_method(
    method: str, headers: dict[str, str], expected: bool
) -> None:
    assert is_preflight(method, headers) is expected
