"""The one table of the resource types the harness creates: Pulumi type token -> creator.

Grouped by service family, one creator module each. A type the program declares that is in none
of these rows fails the deploy (``UnknownResourceType``): nothing is skipped silently. Every type
here is either checked by ``harness.deploy.rules`` or listed there as taking no name.
"""

from __future__ import annotations

from harness.deploy import analytics, compute, entry, iam, iceberg, monitoring, storage
from harness.deploy.inputs import Creator

CREATORS: dict[str, Creator] = {
    # storage and queues
    "aws:kms/key:Key": storage.kms_key,
    "aws:kms/alias:Alias": storage.kms_alias,
    "aws:s3/bucket:Bucket": storage.s3_bucket,
    "aws:s3/bucketVersioning:BucketVersioning": storage.s3_versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        storage.s3_encryption
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": storage.s3_public_access_block,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": storage.s3_ownership,
    "aws:s3/bucketPolicy:BucketPolicy": storage.s3_policy,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": storage.s3_lifecycle,
    "aws:dynamodb/table:Table": storage.dynamodb_table,
    "aws:sqs/queue:Queue": storage.sqs_queue,
    "aws:sqs/queuePolicy:QueuePolicy": storage.queue_policy,
    "aws:secretsmanager/secret:Secret": storage.secret,
    "aws:secretsmanager/secretVersion:SecretVersion": storage.secret_version,
    # IAM
    "aws:iam/role:Role": iam.iam_role,
    "aws:iam/rolePolicy:RolePolicy": iam.iam_role_policy,
    "aws:iam/policy:Policy": iam.iam_policy,
    # compute
    "aws:lambda/function:Function": compute.lambda_function,
    "aws:lambda/eventSourceMapping:EventSourceMapping": compute.event_source_mapping,
    "aws:sfn/stateMachine:StateMachine": compute.state_machine,
    # monitoring
    "aws:cloudwatch/logGroup:LogGroup": monitoring.log_group,
    "aws:cloudwatch/logStream:LogStream": monitoring.log_stream,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": monitoring.log_metric_filter,
    "aws:cloudwatch/metricAlarm:MetricAlarm": monitoring.metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": monitoring.dashboard,
    "aws:sns/topic:Topic": monitoring.sns_topic,
    "aws:sns/topicSubscription:TopicSubscription": monitoring.sns_subscription,
    # entry points
    "aws:apigatewayv2/api:Api": entry.http_api,
    "aws:apigatewayv2/integration:Integration": entry.http_integration,
    "aws:apigatewayv2/route:Route": entry.http_route,
    "aws:apigatewayv2/authorizer:Authorizer": entry.http_authorizer,
    "aws:apigatewayv2/stage:Stage": entry.http_stage,
    "aws:cloudwatch/eventBus:EventBus": entry.event_bus,
    "aws:cloudwatch/eventRule:EventRule": entry.event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": entry.event_target,
    # analytics
    "aws:glue/catalogDatabase:CatalogDatabase": analytics.glue_database,
    "aws:glue/catalogTable:CatalogTable": iceberg.glue_table,  # others: analytics.glue_table
    "aws:athena/workgroup:Workgroup": analytics.athena_workgroup,
    "aws:athena/namedQuery:NamedQuery": analytics.athena_named_query,
    # the Iceberg family: streams delivering into Glue Iceberg tables, the tables' optimizers
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": iceberg.firehose_stream,
    "aws:glue/catalogTableOptimizer:CatalogTableOptimizer": iceberg.table_optimizer,
}
