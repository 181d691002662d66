"""S3: requests are authorized with their condition keys, in bucket and identity policies alike.

moto 5.2.5 authorizes S3 requests without a request context: a bucket policy's ``Deny`` on
``aws:SecureTransport`` ``false`` (the TLS-only policy) refused every request, and a condition in
an identity policy — the Ingest role's ``s3:PutObject`` only with ``s3:if-none-match`` — was never
evaluated, so a plain PutObject could overwrite a raw object.

Here every S3 request carries the keys ``harness.emulator.patches.iam`` evaluates:
- ``aws:SecureTransport``: ``true`` over https (in-process), ``false`` over http (``serve``, which a
  TLS-only bucket then refuses — as AWS would);
- ``s3:if-none-match`` / ``s3:if-match``: the ``If-None-Match`` / ``If-Match`` header of a
  PutObject or CompleteMultipartUpload, absent when the request has none (Amazon S3 User Guide,
  "Enforce conditional writes on Amazon S3 buckets": ``"Null": {"s3:if-none-match": "false"}``
  allows only conditional creates; Service Authorization Reference, Amazon S3 condition keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.s3.responses import S3Response

from harness.emulator.patches.iam import request_context

CONDITIONAL_WRITE_HEADERS = {"If-None-Match": "s3:if-none-match", "If-Match": "s3:if-match"}
WRITE_METHODS = frozenset({"PUT", "POST"})


def context_of(request: Any, full_url: str, *, object_request: bool) -> dict[str, str]:
    context = {"aws:SecureTransport": "true" if full_url.startswith("https://") else "false"}
    if object_request and str(request.method).upper() in WRITE_METHODS:
        for header, key in CONDITIONAL_WRITE_HEADERS.items():
            value = request.headers.get(header)
            if value is not None:
                context[key] = str(value)
    return context


def _with_context(
    original: Callable[[Any, Any, str], Any], *, object_request: bool
) -> Callable[[Any, Any, str], Any]:
    def respond(self: Any, request: Any, full_url: str) -> Any:
        with request_context(context_of(request, full_url, object_request=object_request)):
            return original(self, request, full_url)

    return respond


@contextmanager
def request_condition_keys() -> Iterator[None]:
    key_response = S3Response._key_response
    bucket_response = S3Response._bucket_response
    S3Response._key_response = _with_context(key_response, object_request=True)
    S3Response._bucket_response = _with_context(bucket_response, object_request=False)
    try:
        yield
    finally:
        S3Response._key_response = key_response
        S3Response._bucket_response = bucket_response
