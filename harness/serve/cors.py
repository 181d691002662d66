"""CORS for the local route, as API Gateway HTTP APIs answer it for the API's CORS configuration.

What the developer guide ("Configure CORS for HTTP APIs in API Gateway") documents, reproduced:
- with a CORS configuration, API Gateway answers preflight requests itself, even without an
  OPTIONS route; a preflight is an OPTIONS request with both ``Origin`` and
  ``Access-Control-Request-Method`` (without them nothing is CORS: an OPTIONS request is routed
  like any other, 404 on this API);
- to a request with an ``Origin`` it adds the configured CORS headers to the integration's response,
  and ignores CORS headers an integration returns;
- ``allowOrigins`` holds origins, ``*`` (every origin), ``https://*`` or ``http://*`` (every origin
  that begins so); the other properties become ``Access-Control-Allow-Methods``,
  ``-Allow-Headers``, ``-Expose-Headers``, ``-Max-Age`` and ``-Allow-Credentials``.

What the guide leaves open, answered as API Gateway is observed to answer: a preflight is 204 No
Content with an empty body; an origin the configuration does not allow gets no CORS header at all
(a preflight is still 204, the request itself still runs), so a browser refuses the response — and
after a refused preflight never sends the request; an allowed origin is echoed back, except that
``*`` is answered ``*``. The requested method and headers are not compared here: the configured
lists are sent, and the browser refuses what they do not name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

PREFLIGHT_STATUS: Final = HTTPStatus.NO_CONTENT
_PREFIX_WILDCARDS: Final = ("https://*", "http://*")


@dataclass(frozen=True)
class Cors:
    """An API's CORS configuration as moto stores it (the API's camelCase ``corsConfiguration``)."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def of(cls, configuration: Mapping[str, Any] | None) -> Cors | None:
        if not configuration:
            return None
        return cls(
            allow_origins=tuple(configuration.get("allowOrigins") or ()),
            allow_methods=tuple(configuration.get("allowMethods") or ()),
            allow_headers=tuple(configuration.get("allowHeaders") or ()),
            expose_headers=tuple(configuration.get("exposeHeaders") or ()),
            max_age=configuration.get("maxAge"),
            allow_credentials=bool(configuration.get("allowCredentials")),
        )

    def allowed_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None when not allowed."""
        if not origin:
            return None
        if "*" in self.allow_origins:
            return "*"
        for allowed in self.allow_origins:
            if allowed == origin or (
                allowed in _PREFIX_WILDCARDS and origin.startswith(allowed[:-1])
            ):
                return origin
        return None

    def preflight_headers(self, origin: str | None) -> dict[str, str]:
        """The headers of the 204 answering a preflight from ``origin`` (none when not allowed)."""
        allow = self.allowed_origin(origin)
        if allow is None:
            return {}
        headers = {"Access-Control-Allow-Origin": allow}
        if self.allow_methods:
            headers["Access-Control-Allow-Methods"] = ",".join(self.allow_methods)
        if self.allow_headers:
            headers["Access-Control-Allow-Headers"] = ",".join(self.allow_headers)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """The CORS headers added to an integration's response to a request from ``origin``."""
        allow = self.allowed_origin(origin)
        if allow is None:
            return {}
        headers = {"Access-Control-Allow-Origin": allow}
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    """OPTIONS with ``Origin`` and ``Access-Control-Request-Method`` (``headers``: lower-case)."""
    return (
        method == "OPTIONS"
        and bool(headers.get("origin"))
        and bool(headers.get("access-control-request-method"))
    )
