"""RawStorage on its own, under PipelineMocks."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.raw_storage import RawStorage, RawStorageArgs

ARGS = {
    "name_prefix": "app-test",
    "kms_key_deletion_window_days": 10,
    "force_destroy": False,
    "noncurrent_version_expiration_days": 5,
}


@pulumi.runtime.test
def test_outputs_and_key(mocks: Any) -> pulumi.Output[None]:
    storage = RawStorage("raw", RawStorageArgs(**ARGS))  # type: ignore[arg-type]

    def check(values: list[str]) -> None:
        name, bucket_arn, ingest, rejected, key_arn = values
        assert name == "app-test-raw-20250101000000000000000001"
        assert bucket_arn == f"arn:aws:s3:::{name}"
        assert ingest == f"{bucket_arn}/ingest/*"
        assert rejected == f"{bucket_arn}/rejected/*"
        key = mocks.find("aws:kms/key:Key", "raw-key")
        assert key_arn == key.state["arn"]
        assert key.inputs["deletionWindowInDays"] == 10
        assert key.inputs["enableKeyRotation"] is True

    return pulumi.Output.all(
        storage.bucket_name,
        storage.bucket_arn,
        storage.ingest_prefix_arn,
        storage.rejected_prefix_arn,
        storage.kms_key_arn,
    ).apply(check)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name_prefix", "", "name_prefix must not be empty"),
        ("kms_key_deletion_window_days", 6, "between 7 and 30"),
        ("kms_key_deletion_window_days", 31, "between 7 and 30"),
        (
            "noncurrent_version_expiration_days",
            0,
            "noncurrent_version_expiration_days must be >= 1",
        ),
        ("abort_incomplete_multipart_upload_days", 0, "abort_incomplete_multipart_upload_days"),
    ],
)
def test_args_are_validated(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RawStorageArgs(**(ARGS | {field: value}))
