"""The harness's tools: the demo, the soak, the analytics queries and pipeline runs."""
