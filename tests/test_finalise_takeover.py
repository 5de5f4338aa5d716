"""A worker too slow for the stale limit is overtaken, and then cannot record a second seal."""
from datetime import timedelta

from sqlalchemy import func, select

from firma.models import Envelope, Event, EventType, utcnow
from firma.sealing import finalise
from tests.test_finalise_sweep import signed  # noqa: F401  (fixture)


def test_an_overtaken_claim_records_nothing(signed, db):  # noqa: F811
    slow_claim = finalise._claim_at(signed.id, utcnow() - finalise.STALE - timedelta(seconds=5))
    assert slow_claim is not None
    assert finalise.finalise(signed.id) is True  # the sweep's retry takes the stale claim over and seals
    assert finalise._still_ours(signed.id, slow_claim) is False  # the slow worker, waking up, records nothing
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Event).where(
        Event.envelope_id == signed.id, Event.type == EventType.ENVELOPE_COMPLETED)) == 1
    assert db.session.get(Envelope, signed.id).status == "completed"
