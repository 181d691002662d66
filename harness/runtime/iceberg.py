"""Apache Iceberg tables offline: a pyiceberg SQL catalog (sqlite) in the emulator's working
directory, each table's ``s3://bucket/path`` mapped to a local warehouse directory.

On AWS a Glue Iceberg table is a Glue table whose ``metadata_location`` points at Iceberg metadata
in S3, and its data files are Parquet objects under the table's location. Here the Glue table is
moto's (``harness.deploy.iceberg``) and the Iceberg table itself is pyiceberg's, created from the
same schema and partition spec the program declares (the Glue ``iceberg_table_input``), format
version 2. Deviation (the harness's, documented in docs/architecture.md): pyarrow cannot reach the
in-process moto, so the table's files live under ``<work dir>/iceberg/warehouse/<bucket>/<path>``
rather than in the emulator's S3 bucket — what S3 would hold under the table's location, S3 does
not list here. Who may write them is still decided by IAM: every delivery checks the Firehose
role's S3, Glue and KMS permissions on the ARNs AWS would authorize (``harness.runtime.firehose``).

pyiceberg and pyarrow are imported on first use (seconds of import time): a deployment without an
Iceberg table never loads them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.table import Table

CATALOG_NAME = "harness"
# The Iceberg primitive types a Firehose record can carry as JSON, with the JSON values each takes
# (harness.runtime.firehose converts records by them); a table with any other type is refused.
SUPPORTED_TYPES = frozenset(
    {"string", "boolean", "int", "long", "float", "double", "timestamp", "timestamptz", "date"}
)


class UnsupportedTable(ValueError):
    """An Iceberg table definition the harness cannot create (a clear deploy error)."""


def s3_parts(uri: str) -> tuple[str, str]:
    """``s3://bucket/path/`` -> (bucket, ``path`` without its slashes at either end)."""
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise UnsupportedTable(f"an Iceberg table location must be s3://bucket/path, not {uri!r}")
    return parts.netloc, parts.path.strip("/")


class Warehouse:
    """The emulator's Iceberg catalog: one sqlite file, one local directory per S3 location."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._catalog: SqlCatalog | None = None
        self._lock = threading.RLock()
        self.locations: dict[tuple[str, str], str] = {}  # (database, table) -> s3:// location

    @property
    def catalog(self) -> SqlCatalog:
        with self._lock:
            if self._catalog is None:
                from pyiceberg.catalog.sql import SqlCatalog

                (self.root / "warehouse").mkdir(parents=True, exist_ok=True)
                self._catalog = SqlCatalog(
                    CATALOG_NAME,
                    uri=f"sqlite:///{self.root / 'catalog.db'}",
                    warehouse=(self.root / "warehouse").as_uri(),
                )
            return self._catalog

    def local_location(self, s3_uri: str) -> str:
        """The local directory (a ``file://`` URI) that stands in for an S3 location."""
        bucket, path = s3_parts(s3_uri)
        directory = self.root / "warehouse" / bucket
        for part in filter(None, path.split("/")):
            if part in (".", ".."):
                raise UnsupportedTable(f"refusing the table location {s3_uri!r}")
            directory = directory / part
        return directory.as_uri()

    def create_table(
        self,
        database: str,
        name: str,
        location: str,
        fields: Sequence[Mapping[str, Any]],
        partition_fields: Sequence[Mapping[str, Any]] = (),
        identifier_field_ids: Sequence[int] = (),
        properties: Mapping[str, str] | None = None,
        format_version: str = "2",
    ) -> Table:
        """The Iceberg table of a Glue ``iceberg_table_input`` (camelCase, as the mocks deliver it):
        ``fields`` [{id, name, type, required, doc}], ``partition_fields`` [{name, sourceId,
        transform, fieldId}]."""
        from pyiceberg.partitioning import PartitionField, PartitionSpec
        from pyiceberg.schema import Schema
        from pyiceberg.transforms import parse_transform
        from pyiceberg.types import NestedField

        columns = []
        for field in fields:
            typ = str(field["type"])
            if typ not in SUPPORTED_TYPES:
                raise UnsupportedTable(
                    f"{database}.{name}: column {field['name']} has type {typ!r}; the harness "
                    f"converts Firehose records into {sorted(SUPPORTED_TYPES)} only"
                )
            columns.append(
                NestedField(
                    int(field["id"]),
                    str(field["name"]),
                    typ,
                    required=bool(field.get("required", False)),
                    doc=field.get("doc"),
                )
            )
        schema = Schema(*columns, identifier_field_ids=[int(i) for i in identifier_field_ids])
        spec = PartitionSpec(
            *(
                PartitionField(
                    source_id=int(p["sourceId"]),
                    field_id=int(p.get("fieldId", 1000 + index)),
                    transform=parse_transform(str(p["transform"])),
                    name=str(p["name"]),
                )
                for index, p in enumerate(partition_fields)
            )
        )
        with self._lock:
            catalog = self.catalog
            if (database,) not in catalog.list_namespaces():
                catalog.create_namespace(database)
            table = catalog.create_table(
                f"{database}.{name}",
                schema=schema,
                partition_spec=spec,
                location=self.local_location(location),
                properties={**(properties or {}), "format-version": format_version},
            )
            self.locations[(database, name)] = location
            return table

    def load(self, database: str, name: str) -> Table:
        """The table as it is now (its current snapshot)."""
        with self._lock:
            return self.catalog.load_table(f"{database}.{name}")

    def has(self, database: str, name: str) -> bool:
        return (database, name) in self.locations

    def metadata_location(self, database: str, name: str) -> str:
        """The ``s3://`` URI the table's current metadata file would have on AWS (what the Glue
        table's ``metadata_location`` parameter names)."""
        table = self.load(database, name)
        bucket, path = s3_parts(self.locations[(database, name)])
        local = urlsplit(self.local_location(self.locations[(database, name)])).path
        relative = urlsplit(table.metadata_location).path.removeprefix(local).lstrip("/")
        return f"s3://{bucket}/{path}/{relative}" if path else f"s3://{bucket}/{relative}"
