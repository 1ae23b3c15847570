"""``tracker verify``, ``tracker checkpoint`` and ``tracker signing-key``: the hash chain
over the event log and its signed checkpoints (docs/integrity.md).

Exit codes: 0 the chain holds (or the work was done), 1 it does not, or the database is
unreachable or not migrated, 2 a usage or configuration error (a malformed key).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.markup import escape

from tracker.cli import err, load_settings, open_tracker
from tracker.eventstore.chain import Checkpoint
from tracker.i18n import N_
from tracker.integrity.checkpointing import sign_head
from tracker.integrity.signing import (
    Signer,
    SigningKeyError,
    b64,
    checkpoint_dict,
    key_id,
    trusted_keys,
)
from tracker.integrity.verify import verify_log


def _bad_key(error: SigningKeyError) -> None:
    err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False)
    sys.exit(2)


@click.command(
    help=N_(
        "Recompute the hash chain over the event log and hold it against the stored links and "
        "the signed checkpoints.\n\n"
        "Exits 0 when the chain holds; else 1, naming the first event whose link does not "
        "hold and the checkpoint it contradicts."
    )
)
@click.option(
    "--from-checkpoint",
    is_flag=True,
    help=N_(
        "Start at the newest checkpoint whose signature and stored link hold, and read only "
        "the events after it (a full run also checks every event before it)."
    ),
)
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    help=N_(
        "A public key (base64 or PEM) whose checkpoints count, besides the signing key's "
        "and TRACKER_TRUSTED_KEYS. Repeatable."
    ),
)
@click.option(
    "--checkpoint",
    "kept",
    multiple=True,
    help=N_(
        'A checkpoint kept outside the database, POSITION-LINK as a "cite this" link\'s '
        "checkpoint= carries it: the log must still reach that link there. Repeatable."
    ),
)
def verify(from_checkpoint: bool, public_keys: tuple[str, ...], kept: tuple[str, ...]) -> None:
    settings = load_settings()
    try:
        trusted = trusted_keys(settings, public_keys)
        outside = [Checkpoint.kept(text) for text in kept]
    except ValueError as error:
        _bad_key(SigningKeyError(str(error)))
    with open_tracker(settings) as (tracker, engine):
        found = verify_log(
            tracker.store, engine, trusted=trusted, from_checkpoint=from_checkpoint, kept=outside
        )
    walked = found.walked
    start = (
        f"from {found.started_from.describe()}" if found.started_from else "from the first event"
    )
    if not trusted:
        err.print(
            "[yellow]note:[/yellow] no trusted public key (TRACKER_SIGNING_KEY_FILE, "
            "TRACKER_TRUSTED_KEYS or --public-key): each checkpoint is checked against the key "
            "it names"
        )
    if found.holds:
        click.echo(
            f"chain holds: {walked.events} events checked {start}, head at position "
            f"{walked.head_position} ({walked.head_link.hex()}), "
            f"{walked.checkpoints_matched} signed checkpoints matched"
        )
        return
    for problem in found.problems():
        err.print(f"[red]broken:[/red] {escape(problem)}", highlight=False)
    err.print(f"{walked.events} events held {start} before the break", highlight=False)
    sys.exit(1)


@click.command(
    help=N_(
        "Sign the hash chain's head now with the signing key (TRACKER_SIGNING_KEY_FILE or "
        "TRACKER_SIGNING_KEY); when the head has not moved since the last checkpoint, show "
        "that one."
    )
)
@click.option(
    "--json", "as_json", is_flag=True, help=N_("Print the checkpoint as one JSON object.")
)
def checkpoint(as_json: bool) -> None:
    settings = load_settings()
    try:
        signer = Signer.from_settings(settings)
    except SigningKeyError as error:
        _bad_key(error)
    if signer is None:
        err.print(
            "[red]error:[/red] no signing key: set TRACKER_SIGNING_KEY_FILE (see docs/integrity.md)"
        )
        sys.exit(2)
    with open_tracker(settings) as (_, engine):
        signed = sign_head(engine, signer)
    if signed is None:
        err.print("the event log is empty: nothing to sign")
        return
    if as_json:
        click.echo(json.dumps(checkpoint_dict(signed)))
        return
    click.echo(
        f"checkpoint #{signed.number}: position {signed.position}, link {signed.link.hex()}, "
        f"signed {signed.signed_at} by key {key_id(signed.public_key)}"
    )


@click.group("signing-key", help=N_("Make and show the Ed25519 key that signs checkpoints."))
def signing_key() -> None:
    pass


@signing_key.command(
    "new",
    help=N_(
        "Write a new private key to PATH (PEM, readable by its owner only) and print its "
        "public key, to publish. Never overwrites a file."
    ),
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def new_key(path: Path) -> None:
    signer = Signer.generate()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        err.print(f"[red]error:[/red] cannot create {escape(str(path))}: {error.strerror}")
        sys.exit(1)
    with os.fdopen(descriptor, "wb") as file:
        file.write(signer.pem())
    err.print(
        f"private key written to {escape(str(path))} (key {key_id(signer.public_key)}); public key:"
    )
    click.echo(b64(signer.public_key))


@signing_key.command("show", help=N_("Print the configured signing key's public key (base64)."))
def show_key() -> None:
    try:
        signer = Signer.from_settings(load_settings())
    except SigningKeyError as error:
        _bad_key(error)
    if signer is None:
        err.print("[red]error:[/red] no signing key is configured")
        sys.exit(2)
    click.echo(b64(signer.public_key))


@click.command(
    "verify-export",
    help=N_(
        "Check a JSON export offline (no database): its checkpoint is signed by the key, its "
        "events chain up to the signed link, and folding them again gives every figure in it.\n\n"
        "Exits 0 when all of that holds, else 1 saying what does not."
    ),
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    required=True,
    help=N_("The signer's public key (base64 or PEM), as the operator published it. Repeatable."),
)
def verify_export_command(path: Path, public_keys: tuple[str, ...]) -> None:
    from tracker.integrity.signing import public_key_from_text
    from tracker.transfer.verify_export import verify_export

    try:
        keys = {public_key_from_text(text) for text in public_keys}
    except SigningKeyError as error:
        _bad_key(error)
    verdict = verify_export(path.read_bytes(), keys)
    for note in verdict.notes:
        err.print(f"note: {escape(note)}", highlight=False)
    if verdict.holds and verdict.checkpoint is not None:
        click.echo(
            f"export holds: {verdict.events} signed events give every figure in it, up to "
            f"{verdict.checkpoint.describe()} by key {key_id(verdict.checkpoint.public_key)}"
        )
        return
    for problem in verdict.problems:
        err.print(f"[red]does not hold:[/red] {escape(problem)}", highlight=False)
    sys.exit(1)
