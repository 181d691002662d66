"""Amazon Data Firehose with the Apache Iceberg destination, run for real: buffer, deliver, upsert.

moto 5.2.5 stores a stream with an Iceberg destination and answers ``PutRecordBatch`` with an empty
``RequestResponses``, delivering nothing. Here (``harness.emulator.patches.firehose`` routes the
records in) each stream buffers what it accepts and delivers it into the table's pyiceberg twin
(``harness.runtime.iceberg``) as Firehose documents (Amazon Data Firehose developer guide, "Deliver
data to Apache Iceberg Tables"; API reference, ``IcebergDestinationConfiguration``,
``BufferingHints``, ``DestinationTableConfiguration``):

- buffering: a delivery starts once the buffered data reaches ``SizeInMBs`` or the oldest buffered
  record is ``IntervalInSeconds`` old (the interval scaled by ``time_scale``: tests and ``serve``
  run it faster; 0 delivers at once); ``flush`` delivers now (tests, tools);
- every delivery acts with the stream's role, as Firehose assumes it (``firehose.amazonaws.com``
  must be trusted): before anything is written, the role's policies must allow ``glue:GetTable``
  and ``glue:UpdateTable`` on the catalog, the database and the table, ``s3:GetObject`` and
  ``s3:PutObject`` on the table's ``metadata/`` and ``data/`` objects, and, on an SSE-KMS bucket,
  ``kms:Decrypt`` and ``kms:GenerateDataKey`` on its key. A refusal fails the delivery, and the
  records stay buffered for the next one ("it effectively pauses stream delivery": developer guide,
  "Handle data delivery failures");
- routing and operation: the record's metadata (the stream's ``MetadataExtraction`` processor;
  the harness evaluates constant JQ objects only, ``harness.deploy.iceberg``) names the database,
  table and operation; without a table it goes to the stream's single destination table, without
  an operation it is an insert. ``update`` upserts by the destination table configuration's
  ``UniqueKeys`` (the table's identifier fields when none are configured; a later record of one
  delivery replaces an earlier one with the same keys), ``delete`` deletes by them,
  ``AppendOnly`` allows inserts only;
- conversion: only the record's first level is read, column by column of the table's schema
  ("Firehose takes only the first level of nodes": "Considerations and limitations"); other keys
  are ignored. Timestamps are integers of microseconds since the epoch ("For Timestamp data
  types, you must always send in microseconds": "Understand supported data types"). A record that
  is not a JSON object, lacks a required column or holds a value of another type is not
  delivered: it is written to the stream's S3 error output (below);
- error output: one object per delivery under the table's ``S3ErrorOutputPrefix`` (else the
  S3 configuration's ``ErrorOutputPrefix``) in the S3 configuration's bucket, written with the
  role's credentials, one JSON document a line in the schema Firehose documents for records it
  cannot convert ("Handling errors for data format conversion": ``attemptsMade``,
  ``arrivalTimestamp``, ``ErrorCode``, ``ErrorMessage``, ``attemptEndingTimestamp``, ``rawData``
  base64, ``dataCatalogTable``); the prefix's ``!{timestamp:...}``, ``!{firehose:random-string}``
  and ``!{firehose:error-output-type}`` expressions are evaluated ("Custom prefixes for Amazon S3
  objects"). ``Iceberg.MissingColumnWithinRecord`` is the code Firehose reports for a missing
  column; the other codes are the harness's names, as is the error-output type ``iceberg-failed``.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.s3.models import s3_backends

from harness.emulator.patches.iam import request_context
from harness.runtime.iceberg import Warehouse, s3_parts

if TYPE_CHECKING:
    from harness.runtime import Host

FIREHOSE = "firehose.amazonaws.com"
MIB = 1024 * 1024
ERROR_OUTPUT_TYPE = "iceberg-failed"
TICK_SECONDS = 0.05  # how often the interval clock looks at the buffers
INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
OPERATIONS = ("insert", "update", "delete")
INTEGRAL = ("int", "long", "timestamp", "timestamptz", "date")  # as JSON integers
log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A delivery that could not be made (its records stay buffered)."""


@dataclass(frozen=True)
class TableDestination:
    database: str
    table: str
    unique_keys: tuple[str, ...] = ()
    error_prefix: str | None = None


@dataclass(frozen=True)
class StreamConfig:
    """What a delivery needs of a stream with the Iceberg destination."""

    name: str
    arn: str
    role_arn: str
    catalog_arn: str
    tables: tuple[TableDestination, ...]
    bucket: str  # the S3 configuration's bucket (the error output)
    error_prefix: str
    buffer_bytes: int
    interval_seconds: float
    metadata: dict[str, str] = field(default_factory=dict)  # the constant MetadataExtraction
    append_only: bool = False

    @property
    def account(self) -> str:
        return self.catalog_arn.split(":")[4]

    @property
    def region(self) -> str:
        return self.catalog_arn.split(":")[3]


@dataclass
class Record:
    data: bytes
    arrival_ms: int
    record_id: str


@dataclass
class Delivery:
    """One delivery: records taken, rows inserted/updated/deleted per table, records failed."""

    stream: str
    records: int
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    error_key: str | None = None


@dataclass
class RecordError:
    code: str
    message: str


@dataclass
class Stream:
    config: StreamConfig
    buffer: list[Record] = field(default_factory=list)
    size: int = 0
    oldest: float | None = None  # monotonic arrival of the oldest buffered record
    deliveries: list[Delivery] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)  # the buffer
    delivering: threading.Lock = field(default_factory=threading.Lock)  # one delivery at a time


def role_allows(
    account: str, role_arn: str, action: str, resource: str, context: dict[str, str]
) -> bool:
    """Whether the role's inline and attached policies allow ``action`` on ``resource`` (an
    explicit Deny wins), the statements evaluated as ``harness.emulator.patches.iam`` does."""
    iam = iam_backends[account]["aws"]
    role = iam.get_role_by_arn(role_arn)
    documents: list[Any] = [
        iam.get_role_policy(role.name, name)[1] for name in iam.list_role_policies(role.name)
    ]
    documents += iam.list_attached_role_policies(role.name)[0]
    allowed = False
    with request_context(context):
        for document in documents:
            result = IAMPolicy(document).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return False
            allowed = allowed or result == PermissionResult.PERMITTED
    return allowed


def expand_prefix(prefix: str, moment: datetime, error_output_type: str) -> str:
    """An S3 prefix with Firehose's ``!{namespace:value}`` expressions evaluated."""
    java = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}

    def evaluate(match: re.Match[str]) -> str:
        namespace, value = match.group(1), match.group(2)
        if namespace == "timestamp":
            return moment.strftime(re.sub(r"yyyy|MM|dd|HH|mm|ss", lambda m: java[m[0]], value))
        if namespace == "firehose" and value == "error-output-type":
            return error_output_type
        if namespace == "firehose" and value == "random-string":
            return secrets.token_hex(8)
        raise ValueError(f"unknown S3 prefix expression !{{{namespace}:{value}}}")

    expanded = re.sub(r"!\{([A-Za-z-]+):([^}]*)\}", evaluate, prefix)
    if "!{timestamp:" not in prefix:  # Firehose's default time layout after the prefix
        expanded += moment.strftime("%Y/%m/%d/%H/")
    return expanded


def _cell(typ: str, value: Any) -> Any:
    """A JSON value as the column's type takes it, or ValueError."""
    integer = isinstance(value, int) and not isinstance(value, bool)
    if typ == "string" and isinstance(value, str):
        return value
    if typ == "boolean" and isinstance(value, bool):
        return value
    if typ in INTEGRAL and integer:
        low, high = INT_RANGE if typ in ("int", "date") else LONG_RANGE
        if low <= value <= high:
            return value
    if typ in ("float", "double") and (integer or isinstance(value, float)):
        return float(value)
    raise ValueError(f"a {typ} column cannot hold the JSON value {json.dumps(value)[:80]}")


def convert(record: Any, columns: list[tuple[str, str, bool]]) -> dict[str, Any] | RecordError:
    """The row of a parsed record for columns (name, Iceberg type, required), or its error."""
    if not isinstance(record, dict):
        return RecordError("Iceberg.InvalidRecord", "the record is not a JSON object")
    row: dict[str, Any] = {}
    for name, typ, required in columns:
        value = record.get(name)
        if value is None:
            if required:
                return RecordError(
                    "Iceberg.MissingColumnWithinRecord",
                    f"the required column {name} is missing or null",
                )
            row[name] = None
            continue
        try:
            row[name] = _cell(typ, value)
        except ValueError as error:
            return RecordError("Iceberg.TypeMismatch", f"column {name}: {error}")
    return row


class DeliveryStreams:
    """The emulator's Firehose streams with the Iceberg destination, and their interval clock."""

    def __init__(self, host: Host, warehouse: Warehouse) -> None:
        self.host = host
        self.warehouse = warehouse
        self.streams: dict[str, Stream] = {}
        self.time_scale = 1.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, config: StreamConfig) -> Stream:
        stream = Stream(config)
        self.streams[config.name] = stream
        return stream

    def get(self, name: str) -> Stream:
        return self.streams[name]

    def scale(self, time_scale: float) -> None:
        """Scale every stream's buffering interval (tests and ``serve`` deliver sooner)."""
        self.time_scale = time_scale

    # accepting records

    def put(self, name: str, data: list[bytes]) -> list[str]:
        """Buffer accepted records; returns their record ids. A buffer that reached its size (or
        a stream whose interval is 0) is delivered before the call returns."""
        stream = self.streams[name]
        now = int(time.time() * 1000)
        records = [Record(d, now, secrets.token_hex(28)) for d in data]
        with stream.lock:
            stream.buffer.extend(records)
            stream.size += sum(len(d) for d in data)
            if stream.oldest is None and records:
                stream.oldest = time.monotonic()
            due = stream.size >= stream.config.buffer_bytes or (stream.config.interval_seconds <= 0)
        if due:  # Firehose's own work, not the caller's: none of its context (fault scopes)
            contextvars.Context().run(self._deliver_logged, stream)
        return [r.record_id for r in records]

    # delivering

    def flush(self, name: str | None = None) -> list[Delivery]:
        """Deliver what every stream (or the one named) holds now; DeliveryFailed if one fails."""
        names = [name] if name is not None else list(self.streams)
        return [d for d in (self.deliver(self.streams[n]) for n in names) if d is not None]

    def deliver(self, stream: Stream) -> Delivery | None:
        with stream.delivering:
            with stream.lock:
                batch, stream.buffer, stream.size, stream.oldest = stream.buffer, [], 0, None
            if not batch:
                return None
            try:
                delivery = self._deliver(stream.config, batch)
            except BaseException as error:
                with stream.lock:  # back in front, in order, for the next delivery
                    stream.buffer[:0] = batch
                    stream.size += sum(len(r.data) for r in batch)
                    stream.oldest = stream.oldest or time.monotonic()
                stream.failures.append(str(error))
                raise
            stream.deliveries.append(delivery)
            return delivery

    def _deliver_logged(self, stream: Stream) -> None:
        try:
            self.deliver(stream)
        except Exception:  # the records stay buffered; the next delivery retries them
            log.exception("delivery of %s failed", stream.config.name)

    def _authorize(self, config: StreamConfig) -> None:
        try:
            self.host.assume_role(config.role_arn, FIREHOSE)
        except Exception as error:
            raise DeliveryFailed(
                f"{config.name}: Firehose cannot assume {config.role_arn}: {error}"
            ) from error
        prefix = config.catalog_arn.rsplit(":catalog", 1)[0]
        checks: list[tuple[str, str]] = []
        for destination in config.tables:
            db, table = destination.database, destination.table
            glue = [
                config.catalog_arn,
                f"{prefix}:database/{db}",
                f"{prefix}:table/{db}/{table}",
            ]
            checks += [(a, r) for a in ("glue:GetTable", "glue:UpdateTable") for r in glue]
            bucket, path = s3_parts(self.warehouse.locations[(db, table)])
            base = f"arn:aws:s3:::{bucket}/{path + '/' if path else ''}"
            for directory, name in (("metadata", "00000.metadata.json"), ("data", "0.parquet")):
                checks += [
                    (action, f"{base}{directory}/{name}")
                    for action in ("s3:GetObject", "s3:PutObject")
                ]
            key = self._bucket_key(bucket)
            if key is not None:
                checks += [("kms:Decrypt", key), ("kms:GenerateDataKey", key)]
        denied = [
            f"{action} on {resource}"
            for action, resource in checks
            if not role_allows(
                config.account, config.role_arn, action, resource, {"aws:SecureTransport": "true"}
            )
        ]
        if denied:
            raise DeliveryFailed(
                f"{config.name}: the role {config.role_arn} is not authorized to perform: "
                + "; ".join(denied)
            )

    def _bucket_key(self, bucket: str) -> str | None:
        """The ARN of the customer managed key a bucket encrypts with by default, or None."""
        s3 = s3_backends[self.host.account_id]["aws"]
        rules = (s3.get_bucket(bucket).encryption or {}).get("Rule", {})
        default = (rules.get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
        if default.get("SSEAlgorithm") != "aws:kms" or not default.get("KMSMasterKeyID"):
            return None
        kms = kms_backends[self.host.account_id][self.host.region]
        return str(kms.describe_key(kms.any_id_to_key_id(default["KMSMasterKeyID"])).arn)

    def _route(
        self, config: StreamConfig
    ) -> tuple[TableDestination | None, str, RecordError | None]:
        metadata = config.metadata
        operation = metadata.get("operation", "insert").lower()
        database = metadata.get("destinationDatabaseName")
        table = metadata.get("destinationTableName")
        if database is None and table is None and len(config.tables) == 1:
            destination: TableDestination | None = config.tables[0]
        else:
            found = [t for t in config.tables if (t.database, t.table) == (database, table)]
            destination = found[0] if found else None
        if destination is None:
            return None, operation, RecordError("Iceberg.TableNotFound", "no destination table")
        if operation not in OPERATIONS:
            return (
                destination,
                operation,
                RecordError("Iceberg.InvalidOperation", f"unknown operation {operation!r}"),
            )
        if config.append_only and operation != "insert":
            return (
                destination,
                operation,
                RecordError("Iceberg.InvalidOperation", f"{operation} on an append-only stream"),
            )
        return destination, operation, None

    def _deliver(self, config: StreamConfig, batch: list[Record]) -> Delivery:
        self._authorize(config)
        delivery = Delivery(config.name, len(batch))
        destination, operation, route_error = self._route(config)
        errors: list[tuple[Record, RecordError, TableDestination | None]] = []
        rows: list[tuple[Record, dict[str, Any]]] = []
        table = None
        if destination is not None:
            table = self.warehouse.load(destination.database, destination.table)
            columns = [(f.name, str(f.field_type), f.required) for f in table.schema().fields]
        for record in batch:
            if route_error is not None or destination is None:
                errors.append((record, route_error or RecordError("", ""), destination))
                continue
            try:
                parsed = json.loads(record.data)
            except ValueError:
                parsed = None
                converted: dict[str, Any] | RecordError = RecordError(
                    "Iceberg.InvalidRecord", "the record is not JSON"
                )
            else:
                converted = convert(parsed, columns)
            if isinstance(converted, RecordError):
                errors.append((record, converted, destination))
            else:
                rows.append((record, converted))
        if rows and destination is not None and table is not None:
            keys = destination.unique_keys or tuple(
                table.schema().find_column_name(i) or ""
                for i in table.schema().identifier_field_ids
            )
            if operation in ("update", "delete") and not keys:
                errors += [
                    (r, RecordError("Iceberg.InvalidUniqueKeys", "no unique keys"), destination)
                    for r, _ in rows
                ]
            else:
                self._apply(table, operation, [row for _, row in rows], keys, delivery)
                self._publish_metadata(config, destination)
        if errors:
            delivery.failed = len(errors)
            delivery.error_key = self._write_errors(config, errors)
        return delivery

    def _apply(
        self,
        table: Any,
        operation: str,
        rows: list[dict[str, Any]],
        keys: tuple[str, ...],
        delivery: Delivery,
    ) -> None:
        from pyiceberg.expressions import And, EqualTo, Or, Reference

        if operation == "insert":
            table.append(to_arrow(table, rows))
            delivery.inserted += len(rows)
            return
        latest = {tuple(row[k] for k in keys): row for row in rows}  # a later record wins
        if operation == "update":
            result = table.upsert(to_arrow(table, list(latest.values())), join_cols=list(keys))
            delivery.inserted += result.rows_inserted
            delivery.updated += result.rows_updated
            return
        before = table.scan().count()
        conditions = []
        for values in latest:
            terms = [EqualTo(term=Reference(k), value=v) for k, v in zip(keys, values, strict=True)]
            conditions.append(terms[0] if len(terms) == 1 else And(*terms))
        table.delete(conditions[0] if len(conditions) == 1 else Or(*conditions))
        delivery.deleted += before - table.refresh().scan().count()

    def _publish_metadata(self, config: StreamConfig, destination: TableDestination) -> None:
        """The Glue table's ``metadata_location`` moved to the new snapshot's metadata, as an
        Iceberg commit through Glue does (``glue:UpdateTable``, authorized above)."""
        glue = self.host.client("glue")
        db, name = destination.database, destination.table
        current = glue.get_table(DatabaseName=db, Name=name)["Table"]
        parameters = dict(current.get("Parameters") or {})
        parameters["previous_metadata_location"] = parameters.get("metadata_location", "")
        parameters["metadata_location"] = self.warehouse.metadata_location(db, name)
        table_input = {
            k: current[k]
            for k in ("Name", "Description", "TableType", "StorageDescriptor", "PartitionKeys")
            if k in current
        }
        glue.update_table(DatabaseName=db, TableInput={**table_input, "Parameters": parameters})

    def _write_errors(
        self,
        config: StreamConfig,
        errors: list[tuple[Record, RecordError, TableDestination | None]],
    ) -> str:
        moment = datetime.now(UTC)
        ended = int(moment.timestamp() * 1000)
        destination = errors[0][2]
        prefix = (destination.error_prefix if destination else None) or config.error_prefix
        key = (
            f"{expand_prefix(prefix, moment, ERROR_OUTPUT_TYPE)}{config.name}-1-"
            f"{moment:%Y-%m-%d-%H-%M-%S}-{secrets.token_hex(16)}"
        )
        lines = [
            json.dumps(
                {
                    "attemptsMade": 1,
                    "arrivalTimestamp": record.arrival_ms,
                    "ErrorCode": error.code,
                    "ErrorMessage": error.message,
                    "attemptEndingTimestamp": ended,
                    "rawData": base64.b64encode(record.data).decode("ascii"),
                    "dataCatalogTable": {
                        "catalogId": config.account,
                        "databaseName": table.database if table else None,
                        "tableName": table.table if table else None,
                        "region": config.region,
                        "catalogArn": config.catalog_arn,
                    },
                },
                separators=(",", ":"),
            )
            for record, error, table in errors
        ]
        s3 = self.host.client("s3", self.host.assume_role(config.role_arn, FIREHOSE))
        try:
            s3.put_object(
                Bucket=config.bucket, Key=key, Body=("\n".join(lines) + "\n").encode("utf-8")
            )
        except Exception as error:
            raise DeliveryFailed(
                f"{config.name}: the error output s3://{config.bucket}/{key} failed: {error}"
            ) from error
        return key

    # the interval clock

    def start(self) -> None:
        """Deliver each stream once its oldest record is a (scaled) interval old (``serve``)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="firehose-interval", daemon=True)
        self._thread.start()

    def due(self, stream: Stream, now: float) -> bool:
        interval = stream.config.interval_seconds * self.time_scale
        return stream.oldest is not None and now - stream.oldest >= interval

    def _run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            now = time.monotonic()
            for stream in list(self.streams.values()):
                if self.due(stream, now):
                    self._deliver_logged(stream)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None


def to_arrow(table: Any, rows: list[dict[str, Any]]) -> Any:
    """The rows as an Arrow table of the Iceberg table's schema (timestamps from microseconds,
    dates from days since the epoch)."""
    import pyarrow as pa

    schema = table.schema().as_arrow()
    arrays = []
    for column in schema:
        values = [row[column.name] for row in rows]
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            base = pa.int64() if pa.types.is_timestamp(column.type) else pa.int32()
            arrays.append(pa.array(values, type=base).cast(column.type))
        else:
            arrays.append(pa.array(values, type=column.type))
    return pa.Table.from_arrays(arrays, schema=schema)
