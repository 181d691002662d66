"""The curated table's erasure offline (``ops forget`` on the harness): what ``ops.curated_erasure
.AthenaEraser`` does on AWS, on the emulator's pyiceberg table (``harness.runtime.iceberg``).

- ``settle``: in-process, the Firehose streams are flushed; through ``harness serve`` (the
  ``iceberg_warehouse`` of its line), one buffering interval is waited, scaled by the line's
  ``buffer_time_scale``;
- ``delete``: pyiceberg's ``Table.delete`` on ``user_id IN (...)``, which rewrites the data files
  holding the rows without them (copy-on-write: no delete file keeps the rows in a data file);
- ``expire``: every snapshot but the current one expired, then every file under the table's
  directory that the table's metadata no longer references (data files, manifests, manifest
  lists, older metadata files) removed, when older than the expiry, as VACUUM removes orphan
  files older than its age — so a delivery being written concurrently keeps its files.

A commit that loses a race with a delivery (``CommitFailedException``) is tried again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from harness.runtime.iceberg import Warehouse

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from harness.deploy import Deployment

ATTEMPTS = 5
Settle = Callable[[float], None]


def _path(uri: str) -> str:
    return unquote(urlsplit(uri).path)


def referenced_files(table: Table) -> set[str]:
    """Local paths of every file the table's current metadata reaches."""
    found = {_path(table.metadata_location)}
    for snapshot in table.metadata.snapshots:
        found.add(_path(snapshot.manifest_list))
        for manifest in snapshot.manifests(table.io):
            found.add(_path(manifest.manifest_path))
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                found.add(_path(entry.data_file.file_path))
    return found


def theirs(users: frozenset[str]) -> Any:
    """``user_id IN (...)`` as a pyiceberg expression."""
    from pyiceberg.expressions import In

    build: Any = In  # its __new__ takes (term, literals); the model's fields type it otherwise
    return build("user_id", tuple(sorted(users)))


class WarehouseEraser:
    def __init__(self, warehouse: Warehouse, database: str, table: str, settle: Settle) -> None:
        self.warehouse, self.database, self.table = warehouse, database, table
        self._settle = settle

    def _retry(self, action: Callable[[], Any]) -> Any:
        from pyiceberg.exceptions import CommitFailedException

        for attempt in range(ATTEMPTS):
            try:
                return action()
            except CommitFailedException:
                if attempt == ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        return None

    def settle(self, items_deleted_at: float) -> None:
        self._settle(items_deleted_at)

    def load(self) -> Table:
        return self.warehouse.load(self.database, self.table)

    def count(self, users: frozenset[str]) -> int:
        return int(self.load().scan(row_filter=theirs(users)).count())

    def delete(self, users: frozenset[str]) -> None:
        self._retry(lambda: self.load().delete(theirs(users)))

    def expire(self) -> dict[str, int]:
        started = time.time()

        def expire_old() -> int:
            table = self.load()
            current = table.metadata.current_snapshot_id
            old = [s.snapshot_id for s in table.metadata.snapshots if s.snapshot_id != current]
            if old:
                table.maintenance.expire_snapshots().by_ids(old).commit()
            return len(old)

        expired = int(self._retry(expire_old))
        table = self.load()
        keep = referenced_files(table)
        root = Path(_path(table.metadata.location))
        deleted = 0
        for file in sorted(root.rglob("*")):
            if file.is_file() and str(file) not in keep and file.stat().st_mtime < started:
                file.unlink()
                deleted += 1
        return {"snapshots_expired": expired, "files_deleted": deleted}


def for_deployment(deployment: Deployment) -> Callable[[Any], WarehouseEraser | None]:
    """``ops.forget.forget``'s ``curated_eraser`` for an in-process deployment: the emulator's
    warehouse, its Firehose streams flushed to settle."""
    outputs = deployment.outputs
    table = outputs.get("curated_table_name")
    if not table:
        return lambda _target: None
    emulator = deployment.emulator

    def flush(_items_deleted_at: float) -> None:
        emulator.firehose.flush()

    eraser = WarehouseEraser(emulator.warehouse, str(outputs["glue_database"]), str(table), flush)
    return lambda _target: eraser
