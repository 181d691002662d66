"""Powertools Logger (structured JSON) and Metrics (EMF), configured from the env per call."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from handlers.aws import env

logger = Logger()
metrics = Metrics()


def configure() -> None:
    """Read the Powertools settings at call time (the module may be imported before the env)."""
    service = env("POWERTOOLS_SERVICE_NAME")
    metrics.service = service
    metrics.namespace = env("POWERTOOLS_METRICS_NAMESPACE")
    logger.append_keys(service=service)
    level = os.environ.get("POWERTOOLS_LOG_LEVEL")
    if level:
        logger.setLevel(level.upper())


def bind(**keys: object) -> None:
    """Add correlation keys (execution_id, batch_id) to every later log line of this invocation."""
    logger.append_keys(**keys)


def count(name: str, value: int) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
