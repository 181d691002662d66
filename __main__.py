"""activity-pipeline: reads the stack config, composes the components, exports the stack outputs."""

from operator import itemgetter
from pathlib import Path

import pulumi

from components.analytics import Analytics, AnalyticsArgs
from components.builders.entry import EventRuleName
from components.builders.settings import CONFIG_KEYS, PipelineSettings
from components.entry_buffer import BufferTarget, EntryBuffer, EntryBufferArgs
from components.event_entry import EventEntry, EventEntryArgs
from components.http_api import HttpApi, HttpApiArgs
from components.monitoring import BufferMonitoring, Monitoring, MonitoringArgs
from components.privacy import CuratedErasureInputs, Privacy, PrivacyArgs
from components.processed_storage import ProcessedStorage, ProcessedStorageArgs
from components.raw_storage import RawStorage, RawStorageArgs
from components.workflow import CuratedStream, Workflow, WorkflowArgs

config = pulumi.Config()
settings = PipelineSettings.from_config(
    {key: config.get(key) for key in CONFIG_KEYS}, region=pulumi.Config("aws").get("region")
)
name_prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"

raw = RawStorage(
    "raw-storage",
    RawStorageArgs(
        name_prefix=name_prefix,
        kms_key_deletion_window_days=settings.kms_key_deletion_window_days,
        force_destroy=settings.force_destroy_bucket,
        noncurrent_version_expiration_days=settings.noncurrent_version_expiration_days,
        raw_retention_days=settings.retention.raw_days,
        rejected_retention_days=settings.retention.rejected_days,
    ),
)
processed = ProcessedStorage(
    "processed-storage",
    ProcessedStorageArgs(name_prefix=name_prefix, deletion_protection=settings.deletion_protection),
)
# Optional per stack (PipelineSettings): analytics (the curated table Write feeds among it), the
# HTTP API, the EventBridge entry.
analytics: Analytics | None = None
if settings.analytics is not None:
    analytics = Analytics(
        "analytics",
        AnalyticsArgs(
            name_prefix=name_prefix,
            raw_bucket_name=raw.bucket_name,
            raw_bucket_arn=raw.bucket_arn,
            kms_key_arn=raw.kms_key_arn,
            results_expiration_days=settings.analytics.results_expiration_days,
            force_destroy=settings.force_destroy_bucket,
            curated_buffering_size_mb=settings.analytics.curated_buffering_size_mb,
            curated_buffering_interval_seconds=settings.analytics.curated_buffering_interval_seconds,
            noncurrent_version_expiration_days=settings.noncurrent_version_expiration_days,
            log_retention_days=settings.log_retention_days,
        ),
    )
privacy = Privacy(
    "privacy",
    PrivacyArgs(
        name_prefix=name_prefix,
        kms_key_arn=raw.kms_key_arn,
        raw_bucket_arn=raw.bucket_arn,
        table_arn=processed.table_arn,
        deletion_protection=settings.deletion_protection,
        force_destroy=settings.force_destroy_bucket,
        curated=None
        if analytics is None
        else CuratedErasureInputs(
            workgroup_arn=analytics.workgroup_arn,
            catalog_arn=analytics.catalog_arn,
            database_arn=analytics.database_arn,
            table_arn=analytics.curated.table_arn,
            bucket_arn=analytics.curated.bucket_arn,
            results_bucket_arn=analytics.results_bucket_arn,
            stream_arn=analytics.curated.stream_arn,
        ),
    ),
)
workflow = Workflow(
    "workflow",
    WorkflowArgs(
        name_prefix=name_prefix,
        handlers_dir=Path(__file__).resolve().parent / "handlers",
        workflow_type=settings.workflow_type,
        log_level=settings.workflow_log_level,
        architecture=settings.lambda_architecture,
        memory_mb=settings.lambda_memory_mb,
        timeout_seconds=settings.lambda_timeout_seconds,
        powertools_layer_arn=settings.powertools_layer_arn,
        log_retention_days=settings.log_retention_days,
        max_batch_events=settings.max_batch_events,
        late_event_threshold_hours=settings.late_event_threshold_hours,
        oldest_event_time=settings.oldest_event_time,
        raw_bucket_name=raw.bucket_name,
        raw_bucket_arn=raw.bucket_arn,
        kms_key_arn=raw.kms_key_arn,
        table_name=processed.table_name,
        table_arn=processed.table_arn,
        item_retention_days=settings.retention.item_days,
        suppression_table_name=privacy.suppression_table_name,
        suppression_table_arn=privacy.suppression_table_arn,
        salt_secret_arn=privacy.salt_secret_arn,
        curated_stream=None
        if analytics is None
        else CuratedStream(analytics.curated.stream_name, analytics.curated.stream_arn),
    ),
)
pulumi.export("raw_bucket_name", raw.bucket_name)
pulumi.export("raw_bucket_arn", raw.bucket_arn)
pulumi.export("kms_key_arn", raw.kms_key_arn)
pulumi.export("table_name", processed.table_name)
pulumi.export("table_arn", processed.table_arn)
pulumi.export("state_machine_arn", workflow.state_machine_arn)
pulumi.export("state_machine_name", workflow.state_machine_name)
pulumi.export("recovery_state_machine_arn", workflow.recovery_state_machine_arn)  # operators only
pulumi.export("recovery_state_machine_name", workflow.recovery_state_machine_name)
pulumi.export("workflow_type", settings.workflow_type)
pulumi.export("dlq_url", workflow.dlq_url)
pulumi.export("dlq_arn", workflow.dlq_arn)
pulumi.export("function_names", workflow.function_names)
pulumi.export("log_group_names", workflow.log_group_names)
pulumi.export("region", settings.region)
pulumi.export("max_batch_events", settings.max_batch_events)  # `ops send` splits batches by it
# Erasure and suppression (`ops forget`): attach the policy to the operators who erase users.
pulumi.export("suppression_table_name", privacy.suppression_table_name)
pulumi.export("suppression_salt_secret_arn", privacy.salt_secret_arn)
pulumi.export("operator_erasure_policy_arn", privacy.operator_erasure_policy_arn)

if analytics is not None:
    pulumi.export("athena_workgroup", analytics.athena_workgroup)
    pulumi.export("glue_database", analytics.glue_database)
    pulumi.export("named_queries", analytics.named_queries)
    pulumi.export("athena_results_bucket", analytics.athena_results_bucket)
    pulumi.export("analyst_policy_arn", analytics.analyst_policy_arn)
    pulumi.export("curated_bucket_name", analytics.curated.bucket_name)
    pulumi.export("curated_table_name", analytics.curated.table_name)
    pulumi.export("curated_stream_name", analytics.curated.stream_name)
    pulumi.export("curated_stream_arn", analytics.curated.stream_arn)

entry = settings.entry
# Where the entry points send: the entry buffer (buffered, the default) or the state machine.
entry_target: BufferTarget | pulumi.Output[str] = workflow.state_machine_arn
buffer: EntryBuffer | None = None
if entry is not None and entry.buffer is not None:
    buffer = EntryBuffer(
        "entry-buffer",
        EntryBufferArgs(
            name_prefix=name_prefix,
            handlers_dir=Path(__file__).resolve().parent / "handlers",
            state_machine_arn=workflow.state_machine_arn,
            workflow_type=settings.workflow_type,
            max_batch_events=settings.max_batch_events,
            settings=entry.buffer,
            architecture=settings.lambda_architecture,
            memory_mb=settings.lambda_memory_mb,
            timeout_seconds=settings.lambda_timeout_seconds,
            powertools_layer_arn=settings.powertools_layer_arn,
            log_retention_days=settings.log_retention_days,
            kms_key_deletion_window_days=settings.kms_key_deletion_window_days,
            event_rule=EventRuleName.of(name_prefix) if entry.event_bridge_enabled else None,
        ),
    )
    entry_target = buffer.target
    pulumi.export("buffer_queue_url", buffer.queue_url)
    pulumi.export("buffer_queue_arn", buffer.queue_arn)
    pulumi.export("buffer_dlq_url", buffer.dlq_url)
    pulumi.export("buffer_dlq_arn", buffer.dlq_arn)
    pulumi.export("batch_function_name", buffer.function_name)
    pulumi.export("batch_log_group_name", buffer.log_group_name)
pulumi.export("entry_mode", "direct" if entry is None else entry.mode)
if entry is not None and entry.http_api is not None:
    http_api = HttpApi(
        "http-api",
        HttpApiArgs(
            name_prefix=name_prefix,
            target=entry_target,
            auth=entry.http_api.auth,
            throttling_burst_limit=entry.http_api.throttle_burst,
            throttling_rate_limit=entry.http_api.throttle_rate,
            log_retention_days=settings.log_retention_days,
            jwt_issuer=entry.http_api.jwt_issuer,
            jwt_audience=entry.http_api.jwt_audience,
            cors=entry.http_api.cors,
        ),
    )
    pulumi.export("http_api_url", http_api.url)
    pulumi.export("http_api_id", http_api.api_id)
if entry is not None and entry.event_bridge_enabled:
    event_entry = EventEntry(
        "event-entry",
        EventEntryArgs(name_prefix=name_prefix, target=entry_target),
    )
    pulumi.export("event_bus_name", event_entry.bus_name)
    pulumi.export("event_bus_arn", event_entry.bus_arn)
    pulumi.export("entry_dlq_url", event_entry.dlq_url)
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        name_prefix=name_prefix,
        kms_key_deletion_window_days=settings.kms_key_deletion_window_days,
        function_names={
            **{
                fn: workflow.function_names.apply(itemgetter(fn))
                for fn in ("ingest", "process", "write")
            },
            **({} if buffer is None else {"batch": buffer.function_name}),
        },
        state_machine_arn=workflow.state_machine_arn,
        workflow_log_group_name=workflow.log_group_names.apply(lambda groups: groups["workflow"]),
        dlq_name=workflow.dlq_name,
        alarm_email=settings.alarm_email,
        buffer=None
        if buffer is None
        else BufferMonitoring(
            queue_name=buffer.queue_name,
            dlq_name=buffer.dlq_name,
            age_alarm_seconds=buffer.oldest_message_alarm_seconds,
        ),
    ),
)
pulumi.export("alarm_topic_arn", monitoring.alarm_topic_arn)
pulumi.export("dashboard_name", monitoring.dashboard_name)
