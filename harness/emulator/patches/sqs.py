"""SQS: SendMessage refuses a message over the queue's MaximumMessageSize, counted in bytes; and
a queue encrypted with a customer managed key needs the caller's KMS permissions (below).

moto 5.2.5 compares the body's *character* count with the limit and ignores message attributes,
so a body of 262,144 characters of which some are not ASCII — more bytes than the limit — is
accepted. AWS (SQS API reference, SendMessage and MessageAttributeValue; SQS Developer Guide,
"Amazon SQS message quotas"): the limit is in bytes, "all components of a message attribute
(name, type and value) are included in the message size restriction", and an over-limit message is
refused with ``InvalidParameterValue`` "One or more parameters are invalid. Reason: Message must be
shorter than <MaximumMessageSize> bytes." This covers clients and the state machine's
``sqs:sendMessage`` integration alike (both reach the backend's ``send_message``).

And a receive takes time linear in the queue's length (``receive_in_linear_time``, below), as it
takes constant time on AWS: not a rule AWS enforces, but a backlog of thousands of messages (the
single-event soak) otherwise makes each receive take seconds and the consumer fall behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time
from moto.iam.access_control import IAMRequest
from moto.kms.exceptions import NotFoundException
from moto.kms.models import kms_backends
from moto.sqs.exceptions import InvalidParameterValue, QueueDoesNotExist
from moto.sqs.models import Message, SQSBackend, sqs_backends
from moto.sqs.responses import SQSResponse
from werkzeug.exceptions import HTTPException


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


# SQS developer guide, "Amazon SQS Key management", "Configuring AWS KMS permissions": with a
# customer managed key, a producer needs kms:GenerateDataKey and kms:Decrypt on the key, a consumer
# kms:Decrypt; a caller without them is refused ("KMS.AccessDeniedException ... is not authorized to
# perform: kms:GenerateDataKey on resource: <key>").
KEY_ACTIONS: dict[str, tuple[str, ...]] = {
    "SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "SendMessageBatch": ("kms:GenerateDataKey", "kms:Decrypt"),
    "ReceiveMessage": ("kms:Decrypt",),
}
AUTH_METHOD = "_authenticate_and_authorize_normal_action"


class KmsAccessDenied(JsonRESTError):  # type: ignore[misc]
    def __init__(self, caller: str, action: str, key_arn: str) -> None:
        super().__init__(
            "KMS.AccessDeniedException",
            f"User: {caller} is not authorized to perform: {action} on resource: {key_arn}",
        )


def _key_arn(response: Any) -> str | None:
    """The ARN of the customer managed key of the request's queue, or None (no SSE-KMS)."""
    url = response._get_param("QueueUrl") or ""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    backend = sqs_backends[response.current_account][response.region]
    try:
        key = backend.get_queue(name).kms_master_key_id
    except QueueDoesNotExist:
        return None
    if not key:
        return None
    kms = kms_backends[response.current_account][response.region]
    try:
        return str(kms.describe_key(kms.any_id_to_key_id(key)).arn)
    except NotFoundException:
        return None


def _key_checked(original: Callable[..., None]) -> Callable[..., None]:
    def authorize(response: Any, resource: str = "*") -> None:
        original(response, resource)
        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            return
        actions = KEY_ACTIONS.get(response._get_action(), ())
        key_arn = _key_arn(response) if actions else None
        if key_arn is None:
            return
        for action in actions:
            request = IAMRequest(
                account_id=response.current_account,
                method=response.method,
                path=response.raw_path,
                data=response.data,
                body=response.raw_body,
                headers=response.headers,
                action=response._get_action(),
            )
            request._action = action
            try:
                request.check_action_permitted(key_arn)
            except HTTPException:
                raise KmsAccessDenied(request._access_key.arn, action, key_arn) from None

    return authorize


@contextmanager
def kms_key_permissions() -> Iterator[None]:
    """SendMessage/ReceiveMessage on a queue encrypted with a customer managed key need the
    caller's KMS permissions on that key.

    moto 5.2.5 stores a queue's ``KmsMasterKeyId`` and never uses it: any caller allowed to send or
    receive does, whatever its KMS permissions. AWS refuses the call with
    ``KMS.AccessDeniedException`` (``KEY_ACTIONS``: what each call needs). Installed after
    ``iam_enforcement.enforced_iam`` (it wraps that authorization): the queue's own permission is
    checked first, then the key's.
    """
    original = SQSResponse.__dict__[AUTH_METHOD]
    setattr(SQSResponse, AUTH_METHOD, _key_checked(original))
    try:
        yield
    finally:
        setattr(SQSResponse, AUTH_METHOD, original)


def _retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    """Whether ``message`` is within its queue's retention period (moto's own test, in O(1))."""
    retention = int(self.get_queue(queue_name).message_retention_period)
    return bool(retention + message.sent_timestamp / 1000 > unix_time())


@contextmanager
def receive_in_linear_time() -> Iterator[None]:
    """ReceiveMessage checks each message it returns against the queue's retention period in
    constant time.

    moto 5.2.5 reads the period with ``get_queue_attributes``, which builds every attribute of the
    queue first — ``ApproximateNumberOfMessagesDelayed`` among them, a pass over every message —
    so a receive of 10 messages from a queue of n costs 10·n message checks: with 10,000 waiting,
    a batch of 1,000 took minutes to gather. The test is the same (sent + retention > now), on the
    period the queue holds.
    """
    original = SQSBackend.is_message_valid_based_on_retention_period
    SQSBackend.is_message_valid_based_on_retention_period = _retained
    try:
        yield
    finally:
        SQSBackend.is_message_valid_based_on_retention_period = original
