"""``python -m ops COMMAND``: operate a deployed pipeline, on AWS or in `harness serve`.

Every command takes the same target options (see ``ops.target``). Each command lives in its own
module ``ops/<command>.py`` exposing ``register(subparsers)``, which adds its parser and sets
``func(args, target) -> int`` as the parser default.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ops.target import TargetError, add_target_arguments, target_from_args

COMMANDS: tuple[str, ...] = (
    "send",
    "query",
    "status",
    "replay",  # recovery: through the operators' recovery state machine
    "redrive",
    "sweep",
    "dlq",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"ops.{name}")
        before = set(subparsers.choices)
        module.register(subparsers)
        for added in set(subparsers.choices) - before:
            add_target_arguments(subparsers.choices[added])
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        target = target_from_args(args)
    except (TargetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    code: int = args.func(args, target)
    return code
