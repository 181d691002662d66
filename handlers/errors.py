"""Named errors; the class name is the Step Functions error name (docs/architecture.md)."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class; never raised itself (the state machine matches the concrete names)."""


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
