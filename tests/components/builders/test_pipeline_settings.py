"""PipelineSettings parsing, the Powertools layer ARN and the stack-config loader (no Pulumi)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from components.builders.settings import (
    REQUIRED_KEYS,
    RETENTION_KEYS,
    AnalyticsSettings,
    BufferSettings,
    EntrySettings,
    HttpApiSettings,
    PipelineSettings,
    RetentionSettings,
    load_stack_config,
    powertools_layer_arn,
)

ROOT = Path(__file__).resolve().parents[3]


def dev_values() -> dict[str, str | None]:
    config = load_stack_config(ROOT / "Pulumi.dev.yaml")
    return {
        key.removeprefix("activity-pipeline:"): value
        for key, value in config.items()
        if key.startswith("activity-pipeline:")
    }


def test_dev_stack_config_parses_to_typed_values() -> None:
    settings = PipelineSettings.from_stack_config(load_stack_config(ROOT / "Pulumi.dev.yaml"))
    assert settings == PipelineSettings(
        region="us-east-1",
        workflow_type="STANDARD",
        workflow_log_level="ERROR",
        lambda_architecture="arm64",
        lambda_memory_mb=512,
        lambda_timeout_seconds=30,
        powertools_layer_version=27,
        log_retention_days=14,
        deletion_protection=False,
        force_destroy_bucket=True,
        noncurrent_version_expiration_days=30,
        kms_key_deletion_window_days=7,
        max_batch_events=500,
        late_event_threshold_hours=72,
        oldest_event_time=datetime(2000, 1, 1, tzinfo=UTC),
        retention=RetentionSettings(raw_days=30, rejected_days=14, item_days=30),
        alarm_email=None,
        analytics=AnalyticsSettings(
            results_expiration_days=7,
            curated_buffering_size_mb=64,  # type: ignore[arg-type]
            curated_buffering_interval_seconds=60,  # type: ignore[arg-type]
        ),
        entry=EntrySettings(
            event_bridge_enabled=True,
            http_api=HttpApiSettings(auth="IAM", throttle_burst=50, throttle_rate=25),
            buffer=BufferSettings(
                batch_size=1000, batching_window_seconds=5, max_receives=5, retention_days=4
            ),
        ),
    )


def test_prod_stack_config_protects_data() -> None:
    settings = PipelineSettings.from_stack_config(load_stack_config(ROOT / "Pulumi.prod.yaml"))
    assert settings.deletion_protection is True
    assert settings.force_destroy_bucket is False
    assert settings.kms_key_deletion_window_days == 30
    assert settings.log_retention_days == 90


def test_settings_are_frozen() -> None:
    settings = PipelineSettings.from_config(dev_values(), region="us-east-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.workflow_type = "EXPRESS"  # type: ignore[misc]


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_missing_required_key_is_named(key: str) -> None:
    values = dev_values()
    del values[key]
    with pytest.raises(ValueError, match=f"missing required config key activity-pipeline:{key}$"):
        PipelineSettings.from_config(values, region="us-east-1")


@pytest.mark.parametrize("key", ["workflowType", "lambdaMemoryMb"])
def test_blank_value_counts_as_missing(key: str) -> None:
    with pytest.raises(ValueError, match=f"activity-pipeline:{key}"):
        PipelineSettings.from_config(dev_values() | {key: "  "}, region="us-east-1")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("workflowType", "standard", "must be one of STANDARD, EXPRESS"),
        ("workflowLogLevel", "DEBUG", "must be one of ALL, ERROR, FATAL, OFF"),
        ("lambdaArchitecture", "arm", "must be one of arm64, x86_64"),
        ("lambdaMemoryMb", "lots", "must be an integer"),
        ("lambdaMemoryMb", "64", "must be between 128 and 10240"),
        ("lambdaTimeoutSeconds", "901", "must be between 1 and 900"),
        ("powertoolsLayerVersion", "0", "must be between 1 and"),
        ("logRetentionDays", "15", "must be one of 1, 3, 5"),
        ("deletionProtection", "yes", "must be true or false"),
        ("forceDestroyBucket", "1", "must be true or false"),
        ("kmsKeyDeletionWindowDays", "6", "must be between 7 and 30"),
        ("noncurrentVersionExpirationDays", "0", "must be between 1 and"),
        ("maxBatchEvents", "1.5", "must be an integer"),
        ("lateEventThresholdHours", "-1", "must be between 1 and"),
        ("alarmEmail", "ops-at-example.com", "must be an e-mail address"),
        ("oldestEventTime", "2000-01-01T00:00:00", "must be an RFC 3339 time with an offset"),
        ("oldestEventTime", "2000-01-01", "must be an RFC 3339 time with an offset"),
        ("oldestEventTime", "946684800000", "must be an RFC 3339 time with an offset"),
        ("oldestEventTime", "\uff12000-01-01T00:00:00Z", "must be an RFC 3339 time"),
        ("oldestEventTime", "1969-12-31T23:59:59.999Z", "must not be before 1970-01-01"),
        ("oldestEventTime", "1970-01-01T00:30:00+01:00", "must not be before 1970-01-01"),
        # checked here only: the components' Args take these values as checked types
        ("workflowType", "SYNC", "must be one of STANDARD, EXPRESS"),
        ("lambdaArchitecture", "aarch64", "must be one of arm64, x86_64"),
        ("lambdaTimeoutSeconds", "0", "must be between 1 and 900"),
        ("logRetentionDays", "2", "must be one of 1, 3, 5"),
        ("maxBatchEvents", "0", "must be between 1 and 10000"),
        ("kmsKeyDeletionWindowDays", "3", "must be between 7 and 30"),
        ("kmsKeyDeletionWindowDays", "31", "must be between 7 and 30"),
        ("alarmEmail", "ops", "must be an e-mail address"),
        ("athenaResultsExpirationDays", "0", "must be between 1 and 3650"),
        ("athenaResultsExpirationDays", "3651", "must be between 1 and 3650"),
    ],
)
def test_bad_values_are_refused_with_the_key(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"activity-pipeline:{key} {message}"):
        PipelineSettings.from_config(dev_values() | {key: value}, region="us-east-1")


@pytest.mark.parametrize("region", [None, "", "US-EAST-1", "useast1"])
def test_region_is_required_and_checked(region: str | None) -> None:
    with pytest.raises(ValueError, match="aws:region"):
        PipelineSettings.from_config(dev_values(), region=region)


def test_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown config key"):
        PipelineSettings.from_config(dev_values() | {"workflowTyp": "STANDARD"}, region="us-east-1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("2000-01-01T05:30:00.250+05:30", datetime(2000, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC)),
    ],
)
def test_oldest_event_time_is_an_instant(value: str, expected: datetime) -> None:
    settings = PipelineSettings.from_config(
        dev_values() | {"oldestEventTime": value}, region="us-east-1"
    )
    assert settings.oldest_event_time == expected


def test_booleans_are_case_insensitive_and_email_optional() -> None:
    settings = PipelineSettings.from_config(
        dev_values() | {"deletionProtection": "True", "alarmEmail": "ops@example.com"},
        region="eu-west-1",
    )
    assert settings.deletion_protection is True
    assert settings.alarm_email == "ops@example.com"
    assert settings.region == "eu-west-1"


@pytest.mark.parametrize("architecture", ["arm64", "x86_64"])
def test_powertools_layer_arn(architecture: str) -> None:
    assert powertools_layer_arn("eu-central-1", architecture, 27) == (
        "arn:aws:lambda:eu-central-1:017000801446:layer:"
        f"AWSLambdaPowertoolsPythonV3-python313-{architecture}:27"
    )


def test_settings_layer_arn_follows_region_architecture_and_version() -> None:
    settings = PipelineSettings.from_config(
        dev_values() | {"lambdaArchitecture": "x86_64", "powertoolsLayerVersion": "18"},
        region="ap-southeast-2",
    )
    assert settings.powertools_layer_arn == (
        "arn:aws:lambda:ap-southeast-2:017000801446:layer:"
        "AWSLambdaPowertoolsPythonV3-python313-x86_64:18"
    )


def test_load_stack_config_returns_strings_like_pulumi_config(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  activity-pipeline:deletionProtection: true\n"
        "  activity-pipeline:lambdaMemoryMb: 256\n"
        '  activity-pipeline:workflowType: "EXPRESS"\n',
        encoding="utf-8",
    )
    assert load_stack_config(path) == {
        "aws:region": "eu-west-1",
        "activity-pipeline:deletionProtection": "true",
        "activity-pipeline:lambdaMemoryMb": "256",
        "activity-pipeline:workflowType": "EXPRESS",
    }


def test_load_stack_config_refuses_structured_values(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  activity-pipeline:alarmEmail:\n    secure: abc\n", encoding="utf-8")
    with pytest.raises(ValueError, match="alarmEmail"):
        load_stack_config(path)


def test_load_stack_config_of_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("", encoding="utf-8")
    assert load_stack_config(path) == {}


@pytest.mark.parametrize("key", RETENTION_KEYS)
def test_retention_is_required_in_every_stack(key: str) -> None:
    values = dev_values()
    del values[key]
    with pytest.raises(ValueError, match=f"missing required config key activity-pipeline:{key}$"):
        PipelineSettings.from_config(values, region="us-east-1")


@pytest.mark.parametrize("key", RETENTION_KEYS)
@pytest.mark.parametrize("value", ["0", "36501", "30.5"])
def test_retention_days_are_bounded(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"activity-pipeline:{key} must be"):
        PipelineSettings.from_config(dev_values() | {key: value}, region="us-east-1")


def test_prod_keeps_raw_and_items_for_13_months_and_rejected_for_90_days() -> None:
    settings = PipelineSettings.from_stack_config(load_stack_config(ROOT / "Pulumi.prod.yaml"))
    assert settings.retention == RetentionSettings(raw_days=400, rejected_days=90, item_days=400)


def test_rejected_records_never_outlive_the_raw_layer() -> None:
    values = dev_values() | {"rawRetentionDays": "30", "rejectedRetentionDays": "31"}
    with pytest.raises(ValueError, match="rejectedRetentionDays \\(31\\) must not exceed"):
        PipelineSettings.from_config(values, region="us-east-1")
    equal = dev_values() | {"rawRetentionDays": "31", "rejectedRetentionDays": "31"}
    assert PipelineSettings.from_config(equal, region="us-east-1").retention.rejected_days == 31
