"""moto's backends are found without its global lock once they exist, and created with it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from moto.core import base_backend
from moto.kms.models import kms_backends
from moto.sqs.models import sqs_backends

from harness.emulator import Emulator


class CountingLock:
    """moto's backend lock, counting the times it is taken."""

    def __init__(self, lock: Any) -> None:
        self.lock, self.taken = lock, 0

    def __enter__(self) -> None:
        self.lock.acquire()
        self.taken += 1

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


@pytest.fixture
def lock(monkeypatch: pytest.MonkeyPatch) -> CountingLock:
    counting = CountingLock(base_backend.backend_lock)
    monkeypatch.setattr(base_backend, "backend_lock", counting)
    return counting


def test_requests_find_an_existing_backend_without_the_lock(
    emulator: Emulator, lock: CountingLock
) -> None:
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    lock.taken = 0

    def send(n: int) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=str(n))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lock.taken == 0  # moto took it on every lookup of sqs_backends[account]
    count = "ApproximateNumberOfMessages"
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[count])["Attributes"][count] == "8"
    )


def test_a_new_account_backend_is_still_created_under_the_lock(
    emulator: Emulator, lock: CountingLock
) -> None:
    account = "210987654321"
    assert account not in sqs_backends
    backend = sqs_backends[account]["us-east-1"]
    assert lock.taken >= 1
    assert sqs_backends[account]["us-east-1"] is backend
    assert sqs_backends in base_backend.BackendDict._instances


def test_a_kms_key_pair_is_made_only_when_used(emulator: Emulator) -> None:
    kms = emulator.client("kms")
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    keys = kms_backends[emulator.account_id][emulator.region].keys
    assert keys[symmetric].private_key._key is None  # moto generated an RSA pair for it
    assert keys[signing].private_key._key is None
    signed = kms.sign(
        KeyId=signing, Message=b"m", MessageType="RAW", SigningAlgorithm="RSASSA_PSS_SHA_256"
    )
    verified = kms.verify(
        KeyId=signing,
        Message=b"m",
        MessageType="RAW",
        Signature=signed["Signature"],
        SigningAlgorithm="RSASSA_PSS_SHA_256",
    )
    assert verified["SignatureValid"] is True
    assert keys[signing].private_key._key is not None
    encrypted = kms.encrypt(KeyId=symmetric, Plaintext=b"data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=encrypted)["Plaintext"] == b"data"
