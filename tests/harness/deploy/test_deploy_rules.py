"""The harness deploy refuses what pulumi-aws and AWS refuse; prod and longer stack names deploy."""

from __future__ import annotations

import pytest

from components.building_blocks import BUCKET_PREFIX_MAX
from harness.deploy import deploy
from harness.emulator import Emulator


@pytest.mark.parametrize(("stack", "config"), [("prod", "prod"), ("integration-blue", "dev")])
def test_stack_deploys_with_every_name_in_bounds(stack: str, config: str) -> None:
    with Emulator() as emulator:
        deployment = deploy(emulator, stack, config_from=config)
        buckets = [r for r in deployment.records if r.type == "aws:s3/bucket:Bucket"]
        assert len(buckets) == 3  # raw layer, Athena results, the curated table
        for bucket in buckets:
            prefix = bucket.inputs["bucketPrefix"]
            assert len(prefix) <= BUCKET_PREFIX_MAX  # prod was 38: pulumi preview failed
            assert bucket.physical_id is not None
            assert bucket.physical_id.startswith(prefix)


def test_a_name_aws_refuses_fails_the_deploy() -> None:
    with Emulator() as emulator, pytest.raises(Exception, match="must be 1 to 64 characters") as e:
        deploy(emulator, "a-very-long-stack-name-for-rules", config_from="dev")
    assert "aws:cloudwatch/eventRule:EventRule" in str(e.value)  # its name would be 71 long
