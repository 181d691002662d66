"""SQS: SendMessage refuses a message over the queue's MaximumMessageSize, counted in bytes.

moto 5.2.5 compares the body's *character* count with the limit and ignores message attributes,
so a body of 262,144 characters of which some are not ASCII — more bytes than the limit — is
accepted. AWS (SQS API reference, SendMessage and MessageAttributeValue; SQS Developer Guide,
"Amazon SQS message quotas"): the limit is in bytes, "all components of a message attribute
(name, type and value) are included in the message size restriction", and an over-limit message is
refused with ``InvalidParameterValue`` "One or more parameters are invalid. Reason: Message must be
shorter than <MaximumMessageSize> bytes." This covers clients and the state machine's
``sqs:sendMessage`` integration alike (both reach the backend's ``send_message``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from moto.sqs.exceptions import InvalidParameterValue
from moto.sqs.models import SQSBackend


def message_size(body: str, attributes: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Bytes SQS counts against MaximumMessageSize: the body and every attribute's parts."""
    size = len(body.encode("utf-8"))
    for name, attribute in (attributes or {}).items():
        size += len(name.encode("utf-8")) + len(str(attribute.get("DataType", "")).encode())
        for key in ("StringValue", "BinaryValue"):
            value = attribute.get(key)
            if isinstance(value, bytes):
                size += len(value)
            elif value is not None:
                size += len(str(value).encode("utf-8"))
    return size


def _checked(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_message(
        self: Any,
        queue_name: str,
        message_body: str,
        message_attributes: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        limit = int(self.get_queue(queue_name).maximum_message_size)
        if message_size(message_body, message_attributes) > limit:
            raise InvalidParameterValue(
                "One or more parameters are invalid. Reason: "
                f"Message must be shorter than {limit} bytes."
            )
        return original(self, queue_name, message_body, message_attributes, *args, **kwargs)

    return send_message


@contextmanager
def message_size_in_bytes() -> Iterator[None]:
    original = SQSBackend.send_message
    SQSBackend.send_message = _checked(original)
    try:
        yield
    finally:
        SQSBackend.send_message = original
