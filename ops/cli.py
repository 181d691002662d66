"""``python -m ops``: the parser of every command (ops.commands.Command) and one-line errors."""

from __future__ import annotations

import argparse
import sys

from botocore.exceptions import BotoCoreError, ClientError

from ops import dlq, forget, query, redrive, replay, send, status, sweep
from ops.commands import Command, CommandError
from ops.executions import client_error
from ops.target import add_target_arguments, target_from_args

COMMANDS: tuple[Command, ...] = (
    send.COMMAND,
    query.COMMAND,
    status.COMMAND,
    dlq.COMMAND,
    replay.COMMAND,
    redrive.COMMAND,
    sweep.COMMAND,
    forget.COMMAND,
)
DESCRIPTION = """\
Operate a deployed activity-pipeline stack: on AWS, or in the emulator `python
-m harness serve` runs. Every command takes --outputs FILE: `pulumi stack
output --json` of a stack (AWS credentials from your environment or profile),
or the JSON line `harness serve` printed."""
EPILOG = """\
Every command prints text for a reader, or JSON with --json. Times (--since,
--until) are RFC 3339 with an offset, YYYY-MM-DD[THH[:MM]] in UTC, or epoch
seconds or milliseconds. Exit status: 0 done, 1 something failed (reported), 2
the request cannot be carried out. `python -m ops COMMAND --help` describes a
command."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(sub)
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")
        add_target_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code: int = args.run(args, target_from_args(args))
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ClientError as exc:
        print(f"error: {client_error(exc)}", file=sys.stderr)
        return 1
    except BotoCoreError as exc:  # no credentials, an endpoint out of reach, TLS
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code
