"""File formats in and out: the import (CSV, JSON) and the exports (csv, json, xlsx, iati).

Import and export share one column definition (:mod:`tracker.transfer.columns`). An import
reads its file as a stream (:mod:`~tracker.transfer.readers`), checks each row
(:mod:`~tracker.transfer.rows`) by applying it to in-memory aggregates
(:mod:`~tracker.transfer.workspace`), then records the new rows in batches
(:mod:`~tracker.transfer.importer`); :mod:`~tracker.transfer.status` says how much of a file
an interrupted import recorded. An export gathers a portfolio as known at a moment
(:mod:`~tracker.transfer.portfolio_export`) and writes it in one format
(:mod:`~tracker.transfer.export`).
"""
