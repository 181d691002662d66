"""``python -m harness demo|serve|soak|analytics``: the pipeline offline, in the emulator."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from components.builders.settings import CONFIG_KEYS, PROJECT
from harness.serve import serve
from harness.tools import analytics, soak
from harness.tools.demo import demo

DEFAULT_PORT = 4566
DESCRIPTION = "The pipeline offline: its Pulumi program deployed into an embedded AWS emulator."


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default in its help, except options whose default is 'not given'."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or action.help is None:
            return action.help
        return super()._get_help_string(action)


def positive_scale(text: str) -> float:
    """An argparse type: a time scale above 0 and at most 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} must be above 0 and at most 1")
    return value


def parser() -> argparse.ArgumentParser:
    formatter = HelpFormatter
    root = argparse.ArgumentParser(
        prog="python -m harness", description=DESCRIPTION, formatter_class=formatter
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo_cmd = commands.add_parser(
        "demo",
        help="deploy into the emulator and run sample events",
        description="Deploy a stack into the embedded emulator, run each event file as one "
        "execution and say where every event ended.",
        formatter_class=formatter,
    )
    demo_cmd.add_argument(
        "--stack", default="dev", help="stack whose Pulumi.<stack>.yaml to deploy"
    )
    demo_cmd.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help='event files: one event or {"events": [...]} each (default: tests/events/*.json)',
    )
    serving = commands.add_parser(
        "serve",
        help="the emulator as a server with the stack deployed",
        description="Deploy a stack and serve the emulator over HTTPS and the stack's HTTP API "
        "over HTTP on 127.0.0.1, until SIGINT or SIGTERM. Prints one JSON line when ready.",
        formatter_class=formatter,
    )
    serving.add_argument("--stack", default="dev", help="stack whose Pulumi.<stack>.yaml to deploy")
    serving.add_argument("--port", type=int, default=DEFAULT_PORT, help="the emulator's HTTPS port")
    serving.add_argument(
        "--http-port", type=int, default=None, help="the HTTP API's port (default: --port + 1)"
    )
    serving.add_argument(
        "--json-file",
        type=Path,
        metavar="FILE",
        help="also write the JSON line printed when ready to FILE (what ops --outputs reads)",
    )
    serving.add_argument(
        "--config",
        action="append",
        default=[],
        type=config_value,
        metavar="KEY=VALUE",
        help="a stack config value for this run, as `pulumi config set` takes it "
        "(`httpApiAuth=NONE` or `activity-pipeline:httpApiAuth=NONE`); repeatable",
    )
    serving.add_argument(
        "--buffer-time-scale",
        type=positive_scale,
        default=1.0,
        metavar="SCALE",
        help="scale of the entry buffer's batching window and visibility timeout, and of the "
        "Firehose streams' buffering interval (tests: 0.1)",
    )
    soak.add_arguments(
        commands.add_parser(
            "soak",
            help="many events under injected faults, then an exactly-once accounting",
            description="Send events in micro-batches with injected faults, redrive the DLQ and "
            "account for every event by event_id; exit 1 if any is lost or duplicated.",
            formatter_class=formatter,
        )
    )
    analytics.add_arguments(
        commands.add_parser(
            "analytics",
            help="the stack's Athena named queries on DuckDB over the raw layer and the curated "
            "Iceberg table",
            description="Run the stack's Athena named queries on DuckDB over the raw layer and the "
            "curated Iceberg table (its current snapshot) of a running `harness serve`.",
            formatter_class=formatter,
        )
    )
    return root


def config_value(text: str) -> tuple[str, str]:
    """``KEY=VALUE``; a key without a namespace is the project's, as in `pulumi config set`."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key = key.strip()
    key = key if ":" in key else f"{PROJECT}:{key}"
    if key != "aws:region" and key.removeprefix(f"{PROJECT}:") not in CONFIG_KEYS:
        raise argparse.ArgumentTypeError(f"{key} is not a config key the program reads")
    return key, value


def main(argv: list[str] | None = None) -> int:
    # moto's ASL interpreter logs every error it evaluates at ERROR, Catch-handled ones included;
    # the executions' outcomes are reported from their history and the DLQ instead.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    args = parser().parse_args(argv)
    if args.command == "demo":
        return demo(args.stack, args.files)
    if args.command == "serve":
        return serve(
            args.stack,
            args.port,
            args.http_port,
            args.json_file,
            dict(args.config),
            args.buffer_time_scale,
        )
    if args.command == "soak":
        return soak.main(args)
    return analytics.main(args)
