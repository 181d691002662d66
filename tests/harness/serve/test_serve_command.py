"""`make serve` as a user runs it: one clean JSON line, quiet per request, a clean end on SIGINT."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[3]
ACCESS_LINE = re.compile(r'"(GET|POST|PUT|HEAD|DELETE) \S+ HTTP/1\.[01]" \d{3}')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_of(pid: int) -> int:
    """The one process whose parent is ``pid`` (make runs the recipe's command as its child)."""
    children = [
        int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat") if _parent(stat) == pid
    ]
    assert len(children) == 1, children
    return children[0]


def _parent(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_make_serve_prints_one_json_line_and_ends_cleanly_on_sigint(tmp_path: Path) -> None:
    json_file = tmp_path / "serve.json"
    args = f"--port {free_port()} --http-port {free_port()} --json-file {json_file}"
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own Makefile
        ["make", "--no-print-directory", "serve", f"SERVE_ARGS={args}"],  # noqa: S607
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        ready = json.loads(line)
        assert json_file.read_text(encoding="utf-8") == line
        assert line.count('"http_api_url"') == 1
        sts = boto3.client(
            "sts",
            endpoint_url=ready["endpoint_url"],
            verify=ready["ca_bundle"],
            region_name=ready["region"],
            aws_access_key_id=ready["aws_access_key_id"],
            aws_secret_access_key=ready["aws_secret_access_key"],
        )
        assert sts.get_caller_identity()["Arn"].endswith(":user/harness-admin")
        event = (ROOT / "tests" / "events" / "click.json").read_bytes()
        request = urllib.request.Request(f"{ready['http_api_url']}events", data=event)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our server
            assert answer.status == 200
        os.kill(child_of(proc.pid), signal.SIGINT)  # Ctrl-C, to serve alone
        rest, errors = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, rest) == (0, "")  # make's status is serve's own
    assert ACCESS_LINE.search(errors) is None, errors
    assert errors.endswith("harness serve: stopped\n"), errors
    assert not Path(ready["ca_bundle"]).parent.exists()  # the TLS folder is gone
