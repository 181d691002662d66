"""The pure builders of the program (no Pulumi): stack settings, policy documents, ARN checks, the
state-machine definitions, the dashboard body, the log metric filters, the analytics SQL and the
entry-point constants. Each is unit-tested with plain values; the components feed them outputs."""
