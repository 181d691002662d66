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
    "raw_retention_days": 400,
    "rejected_retention_days": 90,
}


def test_outputs_and_key(mocks: Any, settle: Any) -> None:
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

    def create() -> pulumi.Output[list[Any]]:
        storage = RawStorage("raw", RawStorageArgs(**ARGS))  # type: ignore[arg-type]
        return pulumi.Output.all(
            storage.bucket_name,
            storage.bucket_arn,
            storage.ingest_prefix_arn,
            storage.rejected_prefix_arn,
            storage.kms_key_arn,
        )

    check(settle(create))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name_prefix", "", "name_prefix must not be empty"),
        ("abort_incomplete_multipart_upload_days", 0, "abort_incomplete_multipart_upload_days"),
        # stack settings are checked once, by PipelineSettings (test_pipeline_settings)
    ],
)
def test_args_are_validated(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RawStorageArgs(**(ARGS | {field: value}))
