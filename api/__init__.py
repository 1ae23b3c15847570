"""The HTTP API: a thin Litestar layer that translates requests into tracker commands."""
