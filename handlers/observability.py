"""Powertools Logger (structured JSON) and Metrics (EMF), configured by the environment when built.

The workflow component sets ``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE`` and
``POWERTOOLS_LOG_LEVEL`` on each function.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from handlers.aws import env

REQUIRED_SETTINGS = ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE")

logger = Logger()
metrics = Metrics()


def require_settings() -> None:
    """``ConfigurationError`` naming a missing Powertools setting (Metrics would only fail when it
    flushes, after the work is done)."""
    for name in REQUIRED_SETTINGS:
        env(name)


def bind(**keys: object) -> None:
    """Add correlation keys (execution_id, batch_id) to every later log line of this invocation."""
    logger.append_keys(**keys)


def count(name: str, value: int) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
