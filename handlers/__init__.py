"""Lambda code for activity-pipeline.

Entry points (`ingest`, `process`, `write`) are thin; the pure core (`jsontext`, `limits`,
`schema`, `canonical`, `normalize`, `times`, `keys`, `envelope`, `rawlines`, `reasons`, `curate`)
has no boto3 imports; `aws`, `storage` and `table` are the small AWS adapters. See
docs/architecture.md for the contract.
"""
