"""Everything that touches stored events: the recorders (one per database, each owning its
SQL), idempotency receipts, the stored-event encoding, and the migrations that make the
tables."""
