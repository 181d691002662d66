"""The entry points' stack settings (HTTP API, EventBridge): parsed, and refused with the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.builders.settings import (
    BufferSettings,
    EntrySettings,
    HttpApiSettings,
    PipelineSettings,
    load_stack_config,
)

ROOT = Path(__file__).resolve().parents[3]
P = "activity-pipeline:"


def settings(**overrides: str | None) -> PipelineSettings:
    config: dict[str, str | None] = dict(load_stack_config(ROOT / "Pulumi.dev.yaml"))
    config.update({f"{P}{k}": v for k, v in overrides.items()})
    return PipelineSettings.from_stack_config({k: v for k, v in config.items() if v is not None})


JWT = {"httpApiAuth": "JWT", "jwtIssuer": "https://id.example.com/", "jwtAudience": "a, b"}


DEV_BUFFER = BufferSettings(
    batch_size=1000, batching_window_seconds=5, max_receives=5, retention_days=4
)
BUFFER_KEYS = (
    "entryMode",
    "bufferBatchSize",
    "bufferBatchingWindowSeconds",
    "bufferMaxReceives",
    "bufferRetentionDays",
)


def test_prod_has_the_bus_and_no_http_api_and_buffers_it() -> None:
    prod = PipelineSettings.from_stack_config(load_stack_config(ROOT / "Pulumi.prod.yaml"))
    assert prod.entry == EntrySettings(
        event_bridge_enabled=True,
        http_api=None,
        buffer=BufferSettings(
            batch_size=1000, batching_window_seconds=5, max_receives=5, retention_days=7
        ),
    )
    assert prod.entry.mode == "buffered"


def test_jwt_settings_parse_issuer_and_audiences() -> None:
    assert settings(**JWT).entry == EntrySettings(
        event_bridge_enabled=True,
        http_api=HttpApiSettings(
            auth="JWT",
            throttle_burst=50,
            throttle_rate=25,
            jwt_issuer="https://id.example.com/",
            jwt_audience=("a", "b"),
        ),
        buffer=DEV_BUFFER,
    )


def test_buffered_is_the_default_with_the_documented_defaults() -> None:
    entry = settings(**dict.fromkeys(BUFFER_KEYS)).entry
    assert entry is not None
    assert entry.mode == "buffered"
    assert entry.buffer == BufferSettings(
        batch_size=1000, batching_window_seconds=5, max_receives=5, retention_days=4
    )


def test_direct_mode_has_no_buffer() -> None:
    overrides: dict[str, str | None] = dict.fromkeys(BUFFER_KEYS)
    entry = settings(**overrides | {"entryMode": "direct"}).entry
    assert entry is not None
    assert (entry.mode, entry.buffer) == ("direct", None)


def test_buffer_settings_are_read() -> None:
    entry = settings(
        bufferBatchSize="10",
        bufferBatchingWindowSeconds="0",
        bufferMaxReceives="1000",
        bufferRetentionDays="7",
    ).entry
    assert entry is not None
    assert entry.buffer == BufferSettings(
        batch_size=10, batching_window_seconds=0, max_receives=1000, retention_days=7
    )


def test_without_entry_points_there_is_no_buffer() -> None:
    off: dict[str, str | None] = {
        "httpApiEnabled": "false",
        "eventBridgeEnabled": "false",
        "httpApiAuth": None,
        "httpApiThrottleBurst": None,
        "httpApiThrottleRate": None,
        **dict.fromkeys(BUFFER_KEYS),
    }
    entry = settings(**off).entry
    assert entry == EntrySettings(event_bridge_enabled=False)
    assert entry is not None
    assert entry.mode == "direct"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"httpApiEnabled": None}, "missing required config key activity-pipeline:httpApiEnabled"),
        ({"eventBridgeEnabled": None}, "missing required config key .*:eventBridgeEnabled"),
        ({"eventBridgeEnabled": "yes"}, "eventBridgeEnabled must be true or false"),
        ({"httpApiAuth": None}, "missing required config key activity-pipeline:httpApiAuth"),
        ({"httpApiAuth": "OPEN"}, "httpApiAuth must be one of IAM, JWT, NONE"),
        ({"httpApiThrottleBurst": "0"}, "httpApiThrottleBurst must be between 1 and 5000"),
        ({"httpApiThrottleBurst": "5001"}, "httpApiThrottleBurst must be between 1 and 5000"),
        ({"httpApiThrottleRate": "fast"}, "httpApiThrottleRate must be an integer"),
        ({"httpApiThrottleRate": "-1"}, "httpApiThrottleRate must be between 1 and 10000"),
        ({"logRetentionDays": "2"}, "logRetentionDays must be one of 1, 3, 5"),
        ({**JWT, "jwtIssuer": None}, "missing required config key activity-pipeline:jwtIssuer"),
        ({**JWT, "jwtIssuer": "http://id.example.com"}, "jwtIssuer must be an https:// URL"),
        ({**JWT, "jwtAudience": " , "}, "jwtAudience must name at least one audience"),
        ({"jwtIssuer": "https://id.example.com/"}, "jwtIssuer set but .*httpApiAuth is not JWT"),
        ({"httpApiEnabled": "false"}, "httpApiAuth.* set but .*httpApiEnabled is false"),
        ({"entryMode": "queued"}, "entryMode must be one of buffered, direct, got 'queued'"),
        ({"entryMode": "direct"}, "bufferBatchSize.* set but .*entryMode is direct"),
        ({"bufferBatchSize": "0"}, "bufferBatchSize must be between 1 and 10000"),
        ({"bufferBatchSize": "10001"}, "bufferBatchSize must be between 1 and 10000"),
        ({"bufferBatchingWindowSeconds": "301"}, "bufferBatchingWindowSeconds must be between 0"),
        (
            {"bufferBatchingWindowSeconds": "0"},
            "bufferBatchingWindowSeconds must be at least 1 when .*bufferBatchSize is over 10",
        ),
        (
            {"bufferBatchSize": "11", "bufferBatchingWindowSeconds": "0"},
            "bufferBatchingWindowSeconds must be at least 1",
        ),
        ({"bufferMaxReceives": "0"}, "bufferMaxReceives must be between 1 and 1000"),
        ({"bufferMaxReceives": "1001"}, "bufferMaxReceives must be between 1 and 1000"),
        ({"bufferRetentionDays": "8"}, "bufferRetentionDays must be between 1 and 7"),
        ({"bufferRetentionDays": "many"}, "bufferRetentionDays must be an integer"),
        (
            {
                "httpApiEnabled": "false",
                "eventBridgeEnabled": "false",
                "httpApiAuth": None,
                "httpApiThrottleBurst": None,
                "httpApiThrottleRate": None,
            },
            "entryMode.* set but .*httpApiEnabled and eventBridgeEnabled are false",
        ),
    ],
)
def test_bad_entry_config_is_refused_with_the_key(
    overrides: dict[str, str | None], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        settings(**overrides)
