"""Settings for browsers: the NONE auth mode (only when explicitly allowed) and CORS."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.builders.settings import (
    CORS_DEFAULT_HEADERS,
    CORS_DEFAULT_MAX_AGE,
    CORS_DEFAULT_METHODS,
    CorsSettings,
    PipelineSettings,
    load_stack_config,
)

ROOT = Path(__file__).resolve().parents[3]
P = "activity-pipeline:"
PUBLIC = {"httpApiAuth": "NONE", "httpApiAllowUnauthenticated": "true"}
PROD_HTTP = {"httpApiEnabled": "true", "httpApiThrottleBurst": "100", "httpApiThrottleRate": "50"}


def settings(stack: str = "dev", **overrides: str | None) -> PipelineSettings:
    config: dict[str, str | None] = dict(load_stack_config(ROOT / f"Pulumi.{stack}.yaml"))
    config.update({f"{P}{k}": v for k, v in overrides.items()})
    return PipelineSettings.from_stack_config({k: v for k, v in config.items() if v is not None})


def cors_of(result: PipelineSettings) -> CorsSettings | None:
    assert result.entry is not None
    assert result.entry.http_api is not None
    return result.entry.http_api.cors


def test_prod_refuses_a_public_route_unless_it_is_explicitly_allowed() -> None:
    with pytest.raises(ValueError, match="httpApiAuth NONE makes POST /events public") as refused:
        settings("prod", **PROD_HTTP, httpApiAuth="NONE")
    assert "set activity-pipeline:httpApiAllowUnauthenticated to true" in str(refused.value)
    with pytest.raises(ValueError, match="httpApiAuth NONE makes POST /events public"):
        settings("prod", **PROD_HTTP, httpApiAuth="NONE", httpApiAllowUnauthenticated="false")
    allowed = settings("prod", **PROD_HTTP, **PUBLIC)
    assert allowed.entry is not None
    assert allowed.entry.http_api is not None
    assert allowed.entry.http_api.auth == "NONE"


def test_dev_needs_the_same_explicit_setting() -> None:
    with pytest.raises(ValueError, match="httpApiAuth NONE makes POST /events public"):
        settings(httpApiAuth="NONE")
    assert cors_of(settings(**PUBLIC)) is None  # public, and no CORS unless origins are set


def test_neither_stack_is_public_or_has_cors() -> None:
    dev = settings()
    assert dev.entry is not None
    assert dev.entry.http_api is not None
    assert (dev.entry.http_api.auth, dev.entry.http_api.cors) == ("IAM", None)
    prod = settings("prod")
    assert prod.entry is not None
    assert prod.entry.http_api is None


def test_cors_defaults_when_only_origins_are_set() -> None:
    cors = cors_of(
        settings(httpApiCorsAllowOrigins="https://www.example.com, http://localhost:3000")
    )
    assert cors == CorsSettings(
        allow_origins=("https://www.example.com", "http://localhost:3000"),
        allow_methods=CORS_DEFAULT_METHODS,
        allow_headers=CORS_DEFAULT_HEADERS,
        max_age=CORS_DEFAULT_MAX_AGE,
    )
    assert (cors.allow_methods, cors.allow_headers, cors.max_age) == (
        ("POST",),
        ("content-type",),
        7200,
    )


def test_cors_settings_are_parsed_typed_and_header_names_lower_cased() -> None:
    cors = cors_of(
        settings(
            **PUBLIC,
            httpApiCorsAllowOrigins="https://*",
            httpApiCorsAllowMethods="POST,OPTIONS",
            httpApiCorsAllowHeaders="Content-Type, Authorization",
            httpApiCorsMaxAge="-1",
        )
    )
    assert cors == CorsSettings(
        allow_origins=("https://*",),
        allow_methods=("POST", "OPTIONS"),
        allow_headers=("content-type", "authorization"),
        max_age=-1,
    )


@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "http://*",
        "https://*",
        "https://shop.example.com",
        "http://127.0.0.1:8080",
        "http://[::1]:4567",
        "https://xn--bcher-kva.example",
    ],
)
def test_origins_as_browsers_send_them_are_accepted(origin: str) -> None:
    cors = cors_of(settings(httpApiCorsAllowOrigins=origin))
    assert cors is not None
    assert cors.allow_origins == (origin,)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"httpApiCorsAllowOrigins": "https://www.example.com/"}, "no path or trailing slash"),
        ({"httpApiCorsAllowOrigins": "https://www.example.com/shop"}, "no path or trailing slash"),
        ({"httpApiCorsAllowOrigins": "https://WWW.example.com"}, "in lower case"),
        ({"httpApiCorsAllowOrigins": "www.example.com"}, "is not an origin as browsers send it"),
        ({"httpApiCorsAllowOrigins": "null"}, "is not an origin as browsers send it"),
        ({"httpApiCorsAllowOrigins": "ftp://files.example.com"}, "http\\(s\\)://host"),
        ({"httpApiCorsAllowOrigins": "https://*.example.com"}, "is not an origin"),
        ({"httpApiCorsAllowOrigins": "https://example.com:443"}, "names the default port"),
        ({"httpApiCorsAllowOrigins": "http://example.com:80"}, "write http://example.com"),
        ({"httpApiCorsAllowOrigins": "http://example.com:99999"}, "no such port"),
        ({"httpApiCorsAllowOrigins": "http://example.com:0"}, "is not an origin"),
        ({"httpApiCorsAllowOrigins": "*, https://a.example"}, "'\\*' allows all; list it alone"),
        ({"httpApiCorsAllowOrigins": "https://a.example,,"}, "has an empty entry"),
        ({"httpApiCorsAllowOrigins": "https://a.example, https://a.example"}, "repeats"),
        (
            {"httpApiCorsAllowOrigins": "https://a.example", "httpApiCorsAllowMethods": "post"},
            "httpApiCorsAllowMethods must name methods among GET, HEAD, POST",
        ),
        (
            {"httpApiCorsAllowOrigins": "https://a.example", "httpApiCorsAllowMethods": "*,POST"},
            "list it alone",
        ),
        (
            {"httpApiCorsAllowOrigins": "https://a.example", "httpApiCorsAllowHeaders": "x y"},
            "not HTTP header names: x y",
        ),
        (
            {"httpApiCorsAllowOrigins": "https://a.example", "httpApiCorsMaxAge": "86401"},
            "httpApiCorsMaxAge must be between -1 and 86400",
        ),
        (
            {"httpApiCorsAllowOrigins": "https://a.example", "httpApiCorsMaxAge": "1h"},
            "httpApiCorsMaxAge must be an integer",
        ),
        ({"httpApiCorsMaxAge": "300"}, "httpApiCorsMaxAge set but .*AllowOrigins is not set"),
        ({"httpApiCorsAllowHeaders": "x"}, "AllowHeaders set but .*AllowOrigins is not set"),
        ({"httpApiAllowUnauthenticated": "true"}, "set but .*httpApiAuth is not NONE"),
        ({"httpApiAuth": "NONE", "httpApiAllowUnauthenticated": "yes"}, "must be true or false"),
    ],
)
def test_bad_web_config_is_refused_with_the_key(
    overrides: dict[str, str | None], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        settings(**overrides)


@pytest.mark.parametrize(
    "key", ["httpApiAllowUnauthenticated", "httpApiCorsAllowOrigins", "httpApiCorsMaxAge"]
)
def test_web_keys_need_the_http_api(key: str) -> None:
    with pytest.raises(
        ValueError, match=f"{key} set but activity-pipeline:httpApiEnabled is false"
    ):
        settings("prod", **{key: "true"})
