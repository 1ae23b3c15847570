"""Event-sourced tracker for portfolios of cooperation projects."""
