"""Exactly once under double taps: signer state claimed and attempt counters bumped by conditional SQL."""
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from firma.evidence import audit
from firma.extensions import db
from firma.models import Signer, SignerStatus
from firma.platform.errors import Refusal

DONE = (SignerStatus.SIGNED, SignerStatus.DECLINED)


class AlreadyDone(Refusal):
    """Another request (a double tap) signed or declined this signer first."""


def claim(signer: Signer, status: SignerStatus) -> None:
    """Move the signer to signed/declined with one conditional UPDATE: only the request whose row changed goes on.

    PostgreSQL holds the row lock until commit and re-checks the condition for a waiting request; SQLite lets one
    writer in at a time, so a waiting request's transaction starts after the winner's commit and sees its row.
    The envelope is locked first, as every audit event does, so a confirm racing a decline cannot deadlock.
    """
    if signer.id is None:
        db.session.flush()  # automatic signing claims a signer created in this transaction
    audit.lock_envelope(signer.envelope_id)
    result = db.session.execute(
        update(Signer).where(Signer.id == signer.id, Signer.status.not_in(DONE)).values(status=status)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise AlreadyDone("Esta assinatura já foi concluída.")
    set_committed_value(signer, "status", status)


def count_attempt(signer: Signer, column) -> int:
    """Add one to an attempt counter in SQL (never read-modify-write) and return the new count."""
    value = db.session.execute(
        update(Signer).where(Signer.id == signer.id).values({column: column + 1}).returning(column)
        .execution_options(synchronize_session=False)).scalar_one()
    set_committed_value(signer, column.key, value)
    return value


def reset_attempts(signer: Signer, column, *, at_least: int) -> None:
    """Start an attempt counter again, only if it still reads `at_least` or more (a racing reset is harmless)."""
    db.session.execute(update(Signer).where(Signer.id == signer.id, column >= at_least).values({column: 0})
                       .execution_options(synchronize_session=False))
    set_committed_value(signer, column.key, 0)
