"""``ops forget USER_ID... [--suppress] [--dry-run] [--lineage-only]``: erase users everywhere.

For each request (the users given, by their salted hashes — the ids are never written down):
1. with ``--suppress``, the users' hashes go on the suppression list first, so a batch ingested
   from now on stores their events as content-free markers;
2. find the objects holding their lines, in any version: the raw keys their items name (lineage)
   and, unless ``--lineage-only``, every version under ``ingest/`` and ``rejected/`` (a rejected
   event, or an event with no item, is named by no item: only a scan of the layers finds it —
   one ListObjectVersions page per 1,000 versions and one GetObject per version);
3. rewrite each such object without their lines (ops.erasure: same key, same metadata, the other
   lines byte for byte, a conditional PutObject on the ETag read) and delete every other version
   of it;
4. delete their items (Query by PK, BatchWriteItem deletes);
5. with the curated Iceberg table (``curated_table_name`` in the outputs): wait until Firehose can
   hold none of their rows (one buffering interval after the items were deleted), delete their
   rows, expire every snapshot but the current one and remove the files no longer referenced
   (ops.curated_erasure: Athena on AWS, pyiceberg offline when the outputs are ``harness
   serve``'s line, which names ``iceberg_warehouse``);
6. write the receipt ``erasure/receipts/<request id>.json`` and drop the progress record.
The progress record ``erasure/progress/<hash of the users' hashes>.json`` (written before the
first change, updated per object) makes an interrupted request resumable: the next run for the
same users carries on under the same request id. ``--dry-run`` reports what would be erased and
writes nothing (it counts the curated rows it would delete).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from handlers.keys import conflicts_key, rejected_key
from handlers.suppression import user_hash
from handlers.times import format_time
from ops.commands import Command, CommandError, report
from ops.curated_erasure import (
    SETTLE_MARGIN_SECONDS,
    AthenaEraser,
    CuratedEraser,
    buffering_interval,
    wait_one_interval,
)
from ops.erasure import (
    LAYER_PREFIXES,
    Progress,
    Users,
    layer_of,
    progress_key,
    receipt_key,
    rewrite,
)
from ops.query import MAX_KEY_BYTES
from ops.target import Target, TargetError

DESCRIPTION = """\
Erase every trace of the users: their items in the table, their lines in
every version of every raw and rejected object (each such object rewritten
without them, its other versions deleted), and their rows in the curated
Iceberg table, with every older snapshot expired and the files no longer
referenced removed (it waits one Firehose buffering interval after the items
are deleted first, so no buffered row of theirs arrives after). With --suppress their later events
are stored nowhere: Ingest keeps a content-free marker, Process rejects it
suppressed_user. A receipt per request goes under erasure/receipts/ (operators
only). Re-running after an interruption finishes the request; --dry-run
changes nothing.

Exit status 1 when an object could not be erased (re-run to finish)."""
OBJECT_COLUMNS = ("key", "layer", "lines_removed", "versions_deleted", "rewritten")
DELETE_BATCH = 25  # BatchWriteItem's most requests per call
MAX_ATTEMPTS = 6
Clock = Callable[[], datetime]
CURATED_OUTPUT = "curated_table_name"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_ids", nargs="+", metavar="USER_ID")
    parser.add_argument(
        "--suppress", action="store_true", help="also store none of their later events"
    )
    parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")
    parser.add_argument(
        "--lineage-only",
        action="store_true",
        help="look only in the objects the users' items name (no scan of the layers: misses "
        "their rejected events and events with no item)",
    )


def check_user_ids(user_ids: list[str]) -> list[str]:
    for user in user_ids:
        if not user:
            raise CommandError("a USER_ID is empty: every stored event has a user_id")
        if len(user.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            raise CommandError(f"a USER_ID is over {MAX_KEY_BYTES} bytes: no stored event has one")
    return sorted(set(user_ids))


def _output(target: Target, name: str) -> str:
    value = target.outputs.get(name)
    if not value:
        raise TargetError(f"the outputs have no `{name}`: deploy this version of the stack")
    return str(value)


def curated_eraser_for(target: Target) -> CuratedEraser | None:
    """The curated table's eraser: none without the table; pyiceberg on the emulator's warehouse
    when the outputs are `harness serve`'s line (`iceberg_warehouse`); Athena otherwise."""
    table = target.outputs.get(CURATED_OUTPUT)
    if not table:
        return None
    database, stream = _output(target, "glue_database"), _output(target, "curated_stream_name")
    if target.iceberg_warehouse:
        from harness.runtime.iceberg import Warehouse
        from harness.tools.erasure import WarehouseEraser

        firehose, scale = target.client("firehose"), target.buffer_time_scale

        def settle(items_deleted_at: float) -> None:
            interval = buffering_interval(firehose, stream) * scale
            wait_one_interval(interval, items_deleted_at, margin=SETTLE_MARGIN_SECONDS * scale)

        warehouse = Warehouse(Path(target.iceberg_warehouse))
        return WarehouseEraser(warehouse, database, str(table), settle)
    return AthenaEraser(
        athena=target.client("athena"),
        s3=target.client("s3"),
        firehose=target.client("firehose"),
        workgroup=_output(target, "athena_workgroup"),
        database=database,
        table=str(table),
        bucket=_output(target, "curated_bucket_name"),
        stream_name=stream,
    )


class Eraser:
    """One request's work on a target's clients."""

    def __init__(self, target: Target, users: Users, hashes: list[str]) -> None:
        self.s3, self.ddb = target.client("s3"), target.client("dynamodb")
        self.bucket, self.table = target.raw_bucket_name, target.table_name
        self.users, self.hashes = users, hashes
        self.progress_key = progress_key(hashes)

    # finding

    def item_keys(self, user: str) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = []
        pages = self.ddb.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="#pk = :u",
            ProjectionExpression="#pk, #sk, raw_key",
            ExpressionAttributeNames={"#pk": "user_id", "#sk": "event_time"},
            ExpressionAttributeValues={":u": {"S": user}},
            ConsistentRead=True,
        )
        for page in pages:
            keys += page.get("Items", [])
        return keys

    def versions(self, prefix: str, exact: bool = False) -> list[dict[str, Any]]:
        """Every version and delete marker under ``prefix`` (of exactly that key with ``exact``)."""
        found: list[dict[str, Any]] = []
        for page in self.s3.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for kind in ("Versions", "DeleteMarkers"):
                for entry in page.get(kind, []):
                    if not exact or entry["Key"] == prefix:
                        found.append({**entry, "marker": kind == "DeleteMarkers"})
        return found

    def find(self, lineage_only: bool) -> tuple[list[str], list[str], dict[str, int], int]:
        """(keys holding the users' lines in some version, the lineage's raw keys, what was
        read, the users' items)."""
        items = [key for user in sorted(self.users.ids) for key in self.item_keys(user)]
        lineage = sorted({item["raw_key"]["S"] for item in items if "raw_key" in item})
        if lineage_only:
            candidates = [
                v
                for raw in lineage
                for key in (raw, rejected_key(raw), conflicts_key(raw))
                for v in self.versions(key, exact=True)
            ]
        else:
            candidates = [v for prefix in LAYER_PREFIXES.values() for v in self.versions(prefix)]
        scanned = {"versions": 0, "bytes": 0}
        affected: set[str] = set()
        for version in candidates:
            if version["marker"] or version["Key"] in affected:
                continue
            body = self.s3.get_object(
                Bucket=self.bucket, Key=version["Key"], VersionId=version["VersionId"]
            )["Body"].read()
            scanned["versions"] += 1
            scanned["bytes"] += len(body)
            if rewrite(layer_of(version["Key"]), body, self.users).removed:
                affected.add(version["Key"])
        return sorted(affected), lineage, scanned, len(items)

    # erasing

    def erase_object(self, key: str, progress: Progress) -> dict[str, Any]:
        """Rewrite the latest version without the users' lines, then delete every other
        version; the progress record holds the count before the rewrite."""
        for attempt in range(MAX_ATTEMPTS):
            versions = self.versions(key, exact=True)
            latest = next((v for v in versions if v["IsLatest"]), None)
            keep = None if latest is None or latest["marker"] else latest["VersionId"]
            result = dict(progress.done.get(key) or {"rewritten": False, "lines_removed": 0})
            if keep is not None:
                current = self.s3.get_object(Bucket=self.bucket, Key=key, VersionId=keep)
                rewritten = rewrite(layer_of(key), current["Body"].read(), self.users)
                if rewritten.removed:
                    result = {"rewritten": True, "lines_removed": rewritten.removed}
                    progress.done[key] = {**result, "versions_deleted": 0, "complete": False}
                    self.save(progress)
                    try:
                        keep = self.s3.put_object(
                            Bucket=self.bucket,
                            Key=key,
                            Body=rewritten.body,
                            Metadata=current.get("Metadata", {}),
                            ContentType=current.get("ContentType", "application/x-ndjson"),
                            IfMatch=current["ETag"],
                        )["VersionId"]
                    except ClientError as exc:
                        # another writer (Process overwriting a rejected object) came first
                        if exc.response["Error"]["Code"] != "PreconditionFailed":
                            raise
                        time.sleep(0.05 * 2**attempt)
                        continue
            deleted = 0
            for version in versions:
                if version["VersionId"] != keep:
                    self.s3.delete_object(
                        Bucket=self.bucket, Key=key, VersionId=version["VersionId"]
                    )
                    deleted += 1
            return {**result, "versions_deleted": deleted, "complete": True}
        raise CommandError(f"{key} kept changing while it was rewritten; run ops forget again")

    def delete_items(self, user: str) -> int:
        keys = [{k: v for k, v in item.items() if k != "raw_key"} for item in self.item_keys(user)]
        for start in range(0, len(keys), DELETE_BATCH):
            requests: Any = [
                {"DeleteRequest": {"Key": k}} for k in keys[start : start + DELETE_BATCH]
            ]
            for attempt in range(MAX_ATTEMPTS):
                left = self.ddb.batch_write_item(RequestItems={self.table: requests})
                requests = left.get("UnprocessedItems", {}).get(self.table, [])
                if not requests:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise CommandError(f"{len(requests)} items were not deleted; run ops forget again")
        return len(keys)

    # records

    def load(self) -> Progress | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.progress_key)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        return Progress.from_dict(json.loads(body))

    def save(self, progress: Progress) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=self.progress_key,
            Body=json.dumps(progress.as_dict(), indent=1).encode(),
            ContentType="application/json",
        )


def forget(
    target: Target,
    user_ids: list[str],
    *,
    suppress: bool = False,
    dry_run: bool = False,
    lineage_only: bool = False,
    now: Clock = lambda: datetime.now(UTC),
    curated_eraser: Callable[[Target], CuratedEraser | None] = curated_eraser_for,
) -> dict[str, Any]:
    """Carry out (or, with ``dry_run``, describe) one erasure request; its summary."""
    users = Users.of(check_user_ids(user_ids))
    curated = curated_eraser(target)
    salt_arn = _output(target, "suppression_salt_secret_arn")
    suppression_table = _output(target, "suppression_table_name")
    salt = target.client("secretsmanager").get_secret_value(SecretId=salt_arn)["SecretString"]
    hashes = sorted(user_hash(salt.encode("utf-8"), user) for user in users.ids)
    eraser = Eraser(target, users, hashes)
    if suppress and not dry_run:
        for value in hashes:
            eraser.ddb.put_item(TableName=suppression_table, Item={"user_hash": {"S": value}})
    progress = eraser.load()
    resumed = progress is not None
    if progress is None:
        plan, lineage, scanned, _ = eraser.find(lineage_only)
        progress = Progress(
            request_id=uuid.uuid4().hex,
            started_at=format_time(now()),
            user_hashes=hashes,
            suppressed=suppress,
            scanned=scanned,
            lineage_keys=lineage,
            plan=plan,
        )
        if dry_run:
            return dry_run_summary(eraser, progress, curated)
        eraser.save(progress)
    elif dry_run:
        return dry_run_summary(eraser, progress, curated)
    progress.suppressed = progress.suppressed or suppress
    for key in progress.plan:
        if not (progress.done.get(key) or {}).get("complete"):
            progress.done[key] = eraser.erase_object(key, progress)
            eraser.save(progress)
    if not progress.items_done:
        progress.items_deleted += sum(eraser.delete_items(user) for user in sorted(users.ids))
        progress.items_done = True
        progress.items_deleted_at = time.time()
        eraser.save(progress)
    if curated is not None:
        erase_curated(curated, eraser, progress)
    receipt = progress.receipt(format_time(now()))
    eraser.s3.put_object(
        Bucket=eraser.bucket,
        Key=receipt_key(progress.request_id),
        Body=json.dumps(receipt, indent=1).encode(),
        ContentType="application/json",
    )
    eraser.s3.delete_object(Bucket=eraser.bucket, Key=eraser.progress_key)
    return summary(receipt, resumed=resumed, dry_run=False)


def erase_curated(curated: CuratedEraser, eraser: Eraser, progress: Progress) -> None:
    """Settle, delete, expire: each step recorded once done, so a re-run resumes after it. The
    rows found are recorded before the delete, so a run interrupted inside it still counts them."""
    state = progress.curated
    state["present"] = True
    if not state.get("settled"):
        curated.settle(progress.items_deleted_at or time.time())
        state["settled"] = True
        eraser.save(progress)
    if not state.get("deleted"):
        if "rows_found" not in state:
            state["rows_found"] = curated.count(eraser.users.ids)
            eraser.save(progress)
        curated.delete(eraser.users.ids)
        state["rows_deleted"], state["deleted"] = state["rows_found"], True
        eraser.save(progress)
    if not state.get("expired"):
        state.update(curated.expire())
        state["expired"] = True
        eraser.save(progress)


def dry_run_summary(
    eraser: Eraser, progress: Progress, curated: CuratedEraser | None
) -> dict[str, Any]:
    """What the request would erase: its plan, each object's lines as they stand now."""
    for key in progress.plan:
        versions = eraser.versions(key, exact=True)
        latest = next((v for v in versions if v["IsLatest"] and not v["marker"]), None)
        removed = 0
        if latest is not None:
            body = eraser.s3.get_object(
                Bucket=eraser.bucket, Key=key, VersionId=latest["VersionId"]
            )["Body"].read()
            removed = rewrite(layer_of(key), body, eraser.users).removed
        kept = 1 if latest is not None and not removed else 0  # else the rewrite's own version
        progress.done[key] = {
            "rewritten": bool(removed),
            "lines_removed": removed,
            "versions_deleted": len(versions) - kept,
        }
    progress.items_deleted = sum(len(eraser.item_keys(user)) for user in sorted(eraser.users.ids))
    if curated is not None:
        progress.curated = {"present": True, "rows_deleted": curated.count(eraser.users.ids)}
    receipt = progress.receipt(format_time(datetime.now(UTC)))
    return summary(receipt, resumed=False, dry_run=True)


def summary(receipt: dict[str, Any], *, resumed: bool, dry_run: bool) -> dict[str, Any]:
    layers = receipt["layers"]
    result: dict[str, Any] = {
        "request_id": None if dry_run else receipt["request_id"],
        "dry_run": dry_run,
        "resumed": resumed,
        "users": len(receipt["user_hashes"]),
        "suppressed": receipt["suppressed"] and not dry_run,
        "items_deleted": layers["table"]["items_deleted"],
    }
    for layer in LAYER_PREFIXES:
        for count in ("objects_rewritten", "lines_removed", "versions_deleted"):
            result[f"{layer}_{count}"] = layers[layer][count]
    curated = layers["curated"]
    result["curated"] = curated.get("status", "counted" if dry_run else "erased")
    for count in ("rows_deleted", "snapshots_expired", "files_deleted"):
        result[f"curated_{count}"] = curated.get(count, 0)
    result["versions_scanned"] = receipt["scanned"]["versions"]
    result["bytes_scanned"] = receipt["scanned"]["bytes"]
    result["receipt"] = None if dry_run else receipt_key(receipt["request_id"])
    result["failed"] = 0
    result["objects"] = receipt["objects"]
    return result


def run(args: argparse.Namespace, target: Target) -> int:
    result = forget(
        target,
        args.user_ids,
        suppress=args.suppress,
        dry_run=args.dry_run,
        lineage_only=args.lineage_only,
    )
    return report(args, result, "objects", OBJECT_COLUMNS)


COMMAND = Command(
    "forget",
    "erase users from the table, every version of the raw and rejected layers, and the "
    "curated Iceberg table with its snapshots",
    DESCRIPTION,
    add_arguments,
    run,
)
