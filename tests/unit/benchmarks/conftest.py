"""Pipeline profiles with known units per execution, and buffer settings, for the model tests."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.buffered import BufferSettings, PipelineProfile
from benchmarks.entries import DEV_STACK, settings, stack_buffer
from benchmarks.quotas import load_quotas
from components.builders.settings import load_stack_config

SIZES = (1, 25, 100, 500)


def segment(workflow_type: str, size: int, executions: int = 10) -> dict[str, Any]:
    """A harness segment summary: per execution 3 transitions (Standard) or one Express request,
    3 invokes, 0.03 + 0.004 GB-s per event, one S3 PUT and GET, one WRU per event, logs, a
    700-byte Firehose record per event."""
    events = size * executions
    standard = workflow_type == "STANDARD"
    return {
        "events": events,
        "executions": executions,
        "items_written": events,
        "usage": {
            "state_transitions": 3 * executions if standard else 0,
            "express_requests": 0 if standard else executions,
            "express_gb_seconds": 0 if standard else executions * (0.0125 + 0.0001 * size),
            "lambda_requests": 3 * executions,
            "lambda_gb_seconds": executions * (0.03 + 0.004 * size),
            "s3_puts": executions,
            "s3_gets": executions,
            "dynamodb_items": events,
            "dynamodb_wru": events,
            "sqs_requests": 0,
            "log_bytes": executions * 3000 + 20 * events,
            "kms_requests": 0,
            "firehose_bytes": 700 * events,
        },
    }


def profile(workflow_type: str) -> PipelineProfile:
    return PipelineProfile.from_segments(
        workflow_type, "arm64", 512, [segment(workflow_type, s) for s in SIZES]
    )


@pytest.fixture
def standard() -> PipelineProfile:
    return profile("STANDARD")


@pytest.fixture
def express() -> PipelineProfile:
    return profile("EXPRESS")


PACKING = {"record_bytes_mean": 1870.0, "body_bytes_mean": 231.0, "cpu_us_per_record_max": 250.0}


def buffer_settings() -> BufferSettings:
    return settings(
        load_quotas(),
        buffer=stack_buffer(load_stack_config(DEV_STACK)),
        max_batch_events=500,
        execution_fit=500,
        packing=PACKING,
        memory_mb=512,
        log_bytes_per_invoke=1000.0,
    )


@pytest.fixture
def buffer() -> BufferSettings:
    return buffer_settings()
