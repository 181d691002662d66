"""Operations CLI for a deployed activity-pipeline stack: real AWS, or `harness serve`."""
