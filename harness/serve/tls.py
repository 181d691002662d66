"""HTTPS for ``harness serve``: a throwaway certificate authority and a TLS moto server.

The raw bucket's policy denies requests that do not use TLS (``aws:SecureTransport``), and the
harness evaluates that condition honestly, so the emulator must speak HTTPS for the AWS CLI or
boto3 to read the bucket. Each ``serve`` run makes a fresh self-signed certificate for
``127.0.0.1``/``localhost`` in a private temporary folder and prints its path as ``ca_bundle``:
clients trust exactly that file (``AWS_CA_BUNDLE`` / ``--ca-bundle`` / boto3 ``verify=``), never
"verify off".
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path


def self_signed_certificate(folder: Path, days: int = 2) -> Certificate:
    """Write a self-signed EC certificate valid for 127.0.0.1 and localhost into ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "activity-pipeline harness")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = folder / "harness-ca.pem"
    key_path = folder / "harness-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return Certificate(cert_path, key_path)


class QuietRequestHandler(MotoRequestHandler):  # type: ignore[misc]  # moto is untyped here
    """moto's request handler without werkzeug's access line per request (errors still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class TlsMotoServer(ThreadedMotoServer):  # type: ignore[misc]  # moto is untyped here
    """moto's threaded server, serving HTTPS with the given certificate."""

    def __init__(self, certificate: Certificate, ip_address: str, port: int) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self._certificate = certificate

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self._ip_address,
            self._port,
            app,
            threaded=True,
            request_handler=QuietRequestHandler,
            ssl_context=(str(self._certificate.cert_path), str(self._certificate.key_path)),
        )
        self._server_ready_event.set()
        self._server.serve_forever()
