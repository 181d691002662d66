"""The moto patches, one module per AWS service, and the one order they are installed in.

Each module's context manager installs its patch and restores moto's original on exit; its
docstring names the moto behaviour it corrects and the AWS rule it reproduces. ``in_order`` is the
only place that lists them; ``Emulator.start`` enters them in that order and ``stop`` leaves them
in reverse.

The order matters only where two patches replace one method — the later wraps the earlier, so its
code runs first:

- ``S3Response._key_response``: ``s3.request_condition_keys`` (the request's condition keys, for
  the authorization that runs inside it), then the fault injector (``harness.emulator.faults``);
- ``DynamoHandler.batch_write_item``: ``dynamodb.batch_write_keys`` (a request repeating a key is
  refused), then the fault injector.

So an injected fault is decided before the request is checked or authorized: it stands for the
service failing the call as a whole, and the draws depend only on the sequence of calls (a seed
reproduces them whatever the requests hold). Every other patch replaces methods of its own.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from harness.emulator.patches import (
    core,
    dynamodb,
    events,
    firehose,
    iam,
    iam_enforcement,
    lambda_,
    s3,
    sqs,
    stepfunctions,
    stepfunctions_interpreter,
    stepfunctions_roles,
    sts,
)

if TYPE_CHECKING:
    from harness.emulator.faults import FaultInjector
    from harness.runtime import LambdaRuntime
    from harness.runtime.event_sources import SqsEventSources
    from harness.runtime.firehose import DeliveryStreams


def in_order(
    *,
    faults: FaultInjector | None,
    runtime: LambdaRuntime,
    state_machine_client: stepfunctions_roles.ClientFactory,
    retry_time_scale: float,
    event_targets: events.StateMachineTargets,
    event_sources: SqsEventSources,
    delivery_streams: DeliveryStreams,
) -> list[AbstractContextManager[Any]]:
    """Every patch, in the order it is installed (the module docstring says why)."""
    return [
        core.backend_lookup_without_lock(),  # moto: a backend found without the global lock
        core.kms_private_keys_made_when_used(),  # moto: KMS key pairs generated when used
        iam_enforcement.enforced_iam(),  # IAM: enforced from the first request, on real ARNs
        iam.statement_evaluation(),  # IAM: a statement applies as AWS decides it
        sts.assume_role_refusals(),  # STS: AssumeRole refused as AWS refuses it
        s3.request_condition_keys(),  # S3: requests carry their condition keys
        dynamodb.batch_write_keys(),  # DynamoDB: BatchWriteItem refuses repeated keys
        faults.installed() if faults is not None else nullcontext(),  # after s3 and dynamodb
        sqs.message_size_in_bytes(),  # SQS: MaximumMessageSize counted in bytes
        sqs.kms_key_permissions(),  # SQS: SSE-KMS needs the caller's key permissions (after IAM)
        sqs.receive_in_linear_time(),  # SQS: a receive's retention check in constant time
        stepfunctions.start_execution_input(),  # Step Functions: StartExecution refusals
        stepfunctions_interpreter.exact_json_and_data_limits(),  # ASL: numbers, data limits
        stepfunctions_interpreter.parsed_once(),  # ASL: a definition parsed once, not per run
        stepfunctions_roles.interpreter_credentials(  # ASL: the state machine's role
            state_machine_client, retry_time_scale
        ),
        runtime.installed(),  # Lambda: handler modules importable, output captured
        lambda_.in_process_invoke(runtime),  # Lambda: Invoke runs the in-process runtime
        lambda_.sqs_event_sources(event_sources),  # Lambda: SQS mappings run by pollers
        events.state_machine_targets(event_targets),  # EventBridge: PutEvents, SFN targets
        firehose.iceberg_delivery(delivery_streams),  # Firehose: limits, Iceberg delivery
    ]
