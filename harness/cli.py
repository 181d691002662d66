"""``python -m harness demo|serve``: the pipeline offline, in the embedded emulator."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from harness import pipeline, soak
from harness.deploy import deploy
from harness.emulator import REPO_ROOT, Emulator

DEFAULT_EVENTS = REPO_ROOT / "tests" / "events"


def demo(stack: str, files: list[Path]) -> int:
    started = time.monotonic()
    paths = files or sorted(DEFAULT_EVENTS.glob("*.json"))
    sent = stored = rejected = dead = 0
    with Emulator() as emulator:
        deployment = deploy(emulator, stack)
        print(f"deployed stack {stack}: {len(deployment.records)} resources registered")
        for path in paths:
            payload = pipeline.load_events(path)
            events = payload.get("events") if isinstance(payload, dict) else None
            sent += len(events) if isinstance(events, list) else 1
            report = pipeline.run(deployment, payload)
            stored += report.written
            rejected += len(report.rejected)
            dead += len(report.dlq_messages)
            print(f"\n== {path.name}: {report.status} in {report.seconds:.2f}s ({report.name})")
            print(f"   states:   {' -> '.join(report.states)}")
            if report.raw_key:
                print(f"   raw key:  {report.raw_key}")
            print(f"   written:  {report.written}")
            for item in report.rejected:
                print(
                    f"   rejected: #{item.get('index')} {item.get('reason')}: {item.get('detail')}"
                )
            for message in report.dlq_messages:
                error = message.get("error") or {}
                print(
                    f"   DLQ:      failed_state={message.get('failed_state')} "
                    f"error={error.get('Error')}: {error_message(error.get('Cause'))}"
                )
    print(
        f"\nsummary: {sent} events sent, {stored} stored, {rejected} rejected, "
        f"{dead} execution(s) sent to the DLQ ({time.monotonic() - started:.1f}s)"
    )
    return 0


def serve(stack: str, port: int, http_port: int | None = None) -> int:
    import socket
    import tempfile

    from harness.http_api import bind, serve_deployed
    from harness.tls import TlsMotoServer, self_signed_certificate

    # Both ports are claimed before the deploy, so a taken one ends the command at once.
    http_port = port + 1 if http_port is None else http_port
    try:
        http_socket = bind("127.0.0.1", http_port)
    except OSError as error:
        return port_taken(http_port, error)
    try:
        with socket.socket() as probe:  # the emulator's server binds it with SO_REUSEADDR too
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    except OSError as error:
        http_socket.close()
        return port_taken(port, error)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # In-process mock_aws stays active: the interpreter and the functions are intercepted directly;
    # external clients reach the same backends through the threaded server on 127.0.0.1.
    with Emulator() as emulator, tempfile.TemporaryDirectory(prefix="harness-tls-") as tls_dir:
        deployment = deploy(emulator, stack)
        # HTTPS, so the raw bucket's TLS-only policy admits the CLI as it would on AWS.
        certificate = self_signed_certificate(Path(tls_dir))
        server = TlsMotoServer(certificate, ip_address="127.0.0.1", port=port)
        server.start()
        # entry points: the stack's HTTP API on a second port (plain HTTP, as `curl` expects)
        http_api = serve_deployed(emulator, deployment.outputs, http_socket)
        try:
            ready: dict[str, Any] = {
                "http_api_url": http_api.url if http_api is not None else None,
                "endpoint_url": f"https://127.0.0.1:{port}",
                "ca_bundle": str(certificate.cert_path),
                "region": emulator.region,
                "aws_access_key_id": emulator.admin.access_key_id,
                "aws_secret_access_key": emulator.admin.secret_access_key,
                "outputs": deployment.outputs,
            }
            print(json.dumps(ready), flush=True)
            while not stop.wait(0.2):
                pass
        finally:
            if http_api is not None:
                http_api.stop()
            server.stop()
    print("harness serve: stopped", file=sys.stderr, flush=True)
    return 0


def port_taken(port: int, error: OSError) -> int:
    reason = os.strerror(error.errno) if error.errno else str(error)
    print(f"harness serve: cannot listen on 127.0.0.1:{port}: {reason}", file=sys.stderr)
    return 1


def error_message(cause: Any, limit: int = 200) -> str:
    """A Lambda error's message from a Step Functions ``Cause`` (a JSON string), else the cause."""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    text = parsed.get("errorMessage") if isinstance(parsed, dict) else None
    return str(text if text is not None else cause)[:limit]


def main(argv: list[str] | None = None) -> int:
    # moto's ASL interpreter logs every exception it evaluates at ERROR — including the routine
    # "path not present" of the Route choice. The executions' outcome is reported from their
    # history and the DLQ instead.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_cmd = commands.add_parser("demo", help="deploy into the emulator and run sample events")
    demo_cmd.add_argument("--stack", default="dev")
    demo_cmd.add_argument("files", nargs="*", type=Path)
    serve_cmd = commands.add_parser("serve", help="emulator as a server with the stack deployed")
    serve_cmd.add_argument("--stack", default="dev")
    serve_cmd.add_argument("--port", type=int, default=4566)
    serve_cmd.add_argument(
        "--http-port", type=int, default=None, help="HTTP API's local port (default: --port + 1)"
    )
    soak_cmd = commands.add_parser("soak", help="events under injected faults, then accounting")
    soak.add_arguments(soak_cmd)
    args = parser.parse_args(argv)
    if args.command == "soak":
        return soak.main(args)
    if args.command == "demo":
        return demo(args.stack, args.files)
    return serve(args.stack, args.port, args.http_port)
