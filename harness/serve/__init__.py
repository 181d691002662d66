"""``harness serve``: the emulator as an HTTPS server with the stack deployed, and its HTTP API.

With the entry buffer, its consumer runs for as long as the server does: the event-source
mapping's poller (harness.runtime.event_sources) hands batches to the Batch function, its batching
window and the queue's visibility timeout scaled by ``buffer_time_scale``. So do the Firehose
streams' deliveries (harness.runtime.firehose): a stream delivers into its Iceberg table once its
buffer is full or its buffering interval, scaled by ``buffer_time_scale`` too, has passed.

Both ports are claimed before the deploy, so a taken one ends the command at once with one line
naming it. When ready, one JSON line on stdout (and in ``json_file``, when given) gives a client
everything it needs: ``http_api_url`` (the HTTP API served here), ``endpoint_url``, ``ca_bundle``,
``region``, the admin keys, ``iceberg_warehouse`` (the directory of the emulator's Iceberg catalog
and tables, which ``harness analytics`` and ``ops forget`` read), ``buffer_time_scale``, ``pid``
(SIGUSR1 delivers the Firehose streams now: ``harness.serve.flush``) and the stack ``outputs``
(without the AWS invoke URL ``http_api_url``, which nothing answers offline). SIGINT or SIGTERM
stop the servers and remove the TLS folder. ``serving`` is what runs once the stack is deployed,
for a caller that deploys it itself (the tests serve in-process with it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from harness.deploy import Deployment, deploy
from harness.emulator import Emulator
from harness.serve.flush import Flushes
from harness.serve.http_api import bind, serve_deployed
from harness.serve.tls import TlsMotoServer, self_signed_certificate


def serve(
    stack: str,
    port: int,
    http_port: int | None = None,
    json_file: Path | None = None,
    config: dict[str, str] | None = None,
    buffer_time_scale: float = 1.0,
) -> int:
    """Serve `stack`, its config values replaced or completed by `config` (fully qualified keys)."""
    http_port = port + 1 if http_port is None else http_port
    if json_file is not None:
        try:
            json_file.write_text("", encoding="utf-8")  # writable now, not after the deploy
        except OSError as error:
            print(f"harness serve: cannot write {json_file}: {error.strerror}", file=sys.stderr)
            return 2
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
    with Emulator() as emulator:
        deployment = deploy(emulator, stack, overrides=config)
        if stop.is_set():  # a signal during the deploy: nothing to serve
            http_socket.close()
            print("harness serve: stopped", file=sys.stderr, flush=True)
            return 0
        with serving(emulator, deployment, port, http_socket, buffer_time_scale) as ready:
            line = json.dumps(ready)
            if json_file is not None:
                json_file.write_text(line + "\n", encoding="utf-8")
            print(line, flush=True)
            while not stop.wait(0.2):
                pass
    print("harness serve: stopped", file=sys.stderr, flush=True)
    return 0


@contextmanager
def serving(
    emulator: Emulator,
    deployment: Deployment,
    port: int,
    http_socket: socket.socket,
    buffer_time_scale: float = 1.0,
) -> Iterator[dict[str, Any]]:
    """What ``serve`` runs once the stack is deployed, until exit: the emulator over HTTPS on
    ``port``, the stack's HTTP API on ``http_socket`` and the entry buffer's consumer. Yields the
    ready line's value; on exit everything stops and the TLS folder is removed."""
    with tempfile.TemporaryDirectory(prefix="harness-tls-") as tls_dir:
        # HTTPS, so the raw bucket's TLS-only policy admits the CLI as it would on AWS.
        certificate = self_signed_certificate(Path(tls_dir))
        server = TlsMotoServer(certificate, ip_address="127.0.0.1", port=port)
        server.start()
        # the stack's HTTP API on a second port (plain HTTP, as `curl` expects)
        http_api = serve_deployed(emulator, deployment.outputs, http_socket, deployment.stack)
        emulator.event_sources.scale(buffer_time_scale)
        emulator.event_sources.start()
        emulator.firehose.scale(buffer_time_scale)
        emulator.firehose.start()
        flushes = Flushes(emulator.firehose, emulator.warehouse.root)
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread
            flushes.install()
        stopped = threading.Event()
        waiter = threading.Thread(
            target=flushes.serve_until, args=(stopped,), name="serve-flushes", daemon=True
        )
        waiter.start()
        try:
            yield {
                "http_api_url": http_api.url if http_api is not None else None,
                "console_url": f"{http_api.url}console/" if http_api is not None else None,
                "endpoint_url": f"https://127.0.0.1:{port}",
                "ca_bundle": str(certificate.cert_path),
                "region": emulator.region,
                "aws_access_key_id": emulator.admin.access_key_id,
                "aws_secret_access_key": emulator.admin.secret_access_key,
                "iceberg_warehouse": str(emulator.warehouse.root),
                "pid": os.getpid(),
                "buffer_time_scale": buffer_time_scale,
                "outputs": {k: v for k, v in deployment.outputs.items() if k != "http_api_url"},
            }
        finally:
            stopped.set()
            waiter.join()
            emulator.event_sources.stop()
            emulator.firehose.stop()
            if http_api is not None:
                http_api.stop()
            server.stop()


def port_taken(port: int, error: OSError) -> int:
    reason = os.strerror(error.errno) if error.errno else str(error)
    print(f"harness serve: cannot listen on 127.0.0.1:{port}: {reason}", file=sys.stderr)
    return 1
