"""Lambda code for activity-pipeline.

Entry points (`ingest`, `process`, `write`) are thin; the pure core (`schema`, `canonical`,
`normalize`, `times`, `keys`, `envelope`, `curate`) has no boto3 imports; `aws`, `storage` and
`table` are the small AWS adapters. See docs/architecture.md for the contract.
"""
