"""The arrays the PostgreSQL recorder packs itself (tracker/eventstore/pg_arrays.py) read back
as the values packed, NULLs, empty arrays and non-ASCII text included."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tracker.eventstore import pg_arrays

pytestmark = pytest.mark.postgres


def test_packed_arrays_read_back_as_packed(postgres_url: str) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    with psycopg.connect(postgres_url) as conn:
        pg_arrays.register(conn)
        row = conn.execute(
            "SELECT %b::uuid[], %b::uuid[], %b::bigint[], %b::text[], %b::text[], %b::bytea[], "
            "%b::text[], array_length(%b::bytea[], 1)",
            (
                pg_arrays.uuids(ids),
                pg_arrays.uuids([str(ids[0])]),
                pg_arrays.bigints([1, -2, 2**40, 0]),
                pg_arrays.texts(["a", "жоба", ""]),
                pg_arrays.texts(["k", None, "д"]),
                pg_arrays.byteas([b"", b"\x00\xff", b"x" * 1000]),
                pg_arrays.texts([]),
                pg_arrays.byteas([]),
            ),
        ).fetchone()
    assert row == (
        ids,
        [ids[0]],
        [1, -2, 2**40, 0],
        ["a", "жоба", ""],
        ["k", None, "д"],
        [b"", b"\x00\xff", b"x" * 1000],
        [],
        None,
    )
