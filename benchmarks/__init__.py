"""Benchmarks of activity-pipeline: cost per million events, handler CPU, cold start, throughput.

Run with ``python -m benchmarks`` (``make bench``); never part of ``make test``. Every figure comes
from a measurement in that run; the pure parts (price table, cost model, counting) are unit-tested.
"""
