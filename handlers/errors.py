"""Named errors; the class name is the Step Functions error name (docs/architecture.md)."""

from __future__ import annotations

MAX_MESSAGE = 2_048


class PipelineError(Exception):
    """Base class; never raised itself (the state machine matches the concrete names).

    The message is kept ASCII (other characters backslash-escaped) and at most MAX_MESSAGE
    characters: it becomes the task error's Cause, which handlers.limits bounds as ASCII text.
    """

    def __init__(self, message: str) -> None:
        text = message.encode("ascii", "backslashreplace").decode("ascii")
        super().__init__(text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "...")


class TransientAwsError(PipelineError):
    """Throttling, 5xx, timeouts, connection errors: the state machine retries it."""


class PermanentAwsError(PipelineError):
    """AccessDenied, NoSuchBucket, ResourceNotFound, ValidationException ...: caught -> DLQ."""


class BatchRejected(PipelineError):
    """The envelope (or a step payload) is refused: caught -> DLQ, never truncated."""


class ConfigurationError(PipelineError):
    """A required environment variable is missing or malformed: caught -> DLQ."""


__all__ = [
    "BatchRejected",
    "ConfigurationError",
    "PermanentAwsError",
    "PipelineError",
    "TransientAwsError",
]
