"""The entry points' stack settings (HTTP API, EventBridge): parsed, and refused with the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.builders.settings import (
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


def test_prod_has_the_bus_and_no_http_api() -> None:
    prod = PipelineSettings.from_stack_config(load_stack_config(ROOT / "Pulumi.prod.yaml"))
    assert prod.entry == EntrySettings(event_bridge_enabled=True, http_api=None)


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
    )


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
    ],
)
def test_bad_entry_config_is_refused_with_the_key(
    overrides: dict[str, str | None], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        settings(**overrides)
