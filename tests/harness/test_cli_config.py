"""`harness serve --config KEY=VALUE`: keys as `pulumi config set` takes them, only keys the
program reads; deploy() refuses any other override."""

from __future__ import annotations

import argparse

import pytest

from harness.cli import config_value, parser
from harness.deploy import deploy
from harness.emulator import Emulator


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("httpApiAuth=NONE", ("activity-pipeline:httpApiAuth", "NONE")),
        (
            "activity-pipeline:httpApiCorsAllowOrigins=https://a.example",
            (
                "activity-pipeline:httpApiCorsAllowOrigins",
                "https://a.example",
            ),
        ),
        ("aws:region=eu-west-1", ("aws:region", "eu-west-1")),
        ("jwtAudience=a=b", ("activity-pipeline:jwtAudience", "a=b")),
        ("alarmEmail=", ("activity-pipeline:alarmEmail", "")),
    ],
)
def test_config_values_are_qualified_like_pulumi_config_set(
    text: str, expected: tuple[str, str]
) -> None:
    assert config_value(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("httpApiAuth", "expected KEY=VALUE"),
        ("=NONE", "expected KEY=VALUE"),
        ("httpApiAuthMode=NONE", "activity-pipeline:httpApiAuthMode is not a config key"),
        ("other:thing=1", "other:thing is not a config key"),
    ],
)
def test_bad_config_values_are_refused(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        config_value(text)


def test_serve_collects_every_config_value() -> None:
    args = parser().parse_args(
        ["serve", "--config", "httpApiAuth=NONE", "--config", "httpApiAllowUnauthenticated=true"]
    )
    assert dict(args.config) == {
        "activity-pipeline:httpApiAuth": "NONE",
        "activity-pipeline:httpApiAllowUnauthenticated": "true",
    }


def test_deploy_refuses_an_override_the_program_does_not_read() -> None:
    with Emulator() as emulator, pytest.raises(KeyError, match=r"does not read.*corsOrigins"):
        deploy(emulator, "dev", overrides={"activity-pipeline:corsOrigins": "*"})
