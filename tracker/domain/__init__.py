"""The domain: aggregates, values and rules, free of I/O."""
