"""ProcessedStorage on its own, under PipelineMocks."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.processed_storage import ProcessedStorage, ProcessedStorageArgs

TABLE = "aws:dynamodb/table:Table"


@pytest.mark.parametrize("protected", [True, False])
def test_table(mocks: Any, settle: Any, protected: bool) -> None:
    def check(values: list[str]) -> None:
        name, table_arn = values
        assert name == "app-test-events"
        assert table_arn == "arn:aws:dynamodb:us-east-1:123456789012:table/app-test-events"
        inputs = mocks.find(TABLE, "events-table").inputs
        assert inputs["deletionProtectionEnabled"] is protected
        assert inputs["billingMode"] == "PAY_PER_REQUEST"
        assert (inputs["hashKey"], inputs["rangeKey"]) == ("user_id", "event_time")
        component = mocks.find("activity-pipeline:processed_storage:ProcessedStorage", "events")
        assert component.inputs == {}

    def create() -> pulumi.Output[list[Any]]:
        storage = ProcessedStorage(
            "events", ProcessedStorageArgs(name_prefix="app-test", deletion_protection=protected)
        )
        return pulumi.Output.all(storage.table_name, storage.table_arn)

    check(settle(create))


def test_args_are_validated() -> None:
    with pytest.raises(ValueError, match="name_prefix must not be empty"):
        ProcessedStorageArgs(name_prefix="", deletion_protection=True)
