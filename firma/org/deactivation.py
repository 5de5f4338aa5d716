"""Deactivating and reactivating an organization (by a platform operator), and the one check that everything asks.

While an organization is inactive its staff cannot sign in, its API tokens get a 403, its signing links show a
"not available" page and its jobs send nothing new (they leave their rows as they are and resume once it is
active again). Nothing stored is deleted or changed, and envelopes that are already fully signed are still sealed.
"""
from datetime import datetime

from sqlalchemy import select

from firma.extensions import db
from firma.models import Batch, Organization, utcnow
from firma.platform import jobs
from firma.platform.errors import Refusal

STAFF_MESSAGE = "Este provedor está desativado. Fale com o suporte."
API_TITLE = "Provedor desativado"
API_DETAIL = "O provedor desta integração está desativado; nenhuma operação é aceita. Fale com o suporte."
SIGNER_MESSAGE = "Este documento não está disponível no momento."


def is_active(organization_id: int | None) -> bool:
    """Whether the organization may work (an unknown or missing organization counts as active: nothing to stop)."""
    if organization_id is None:
        return True
    organization = db.session.get(Organization, organization_id)
    return organization is None or bool(organization.active)


def _change(organization_id: int, active: bool, reason: str | None, by: str | None,
            now: datetime | None) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise Refusal("Provedor não encontrado.")
    organization.active = active
    organization.status_changed_at = now or utcnow()
    organization.status_changed_by = (by or "")[:254] or None
    organization.status_reason = reason
    return organization


def deactivate(organization_id: int, reason: str, *, by: str | None = None,
               now: datetime | None = None) -> Organization:
    """Deactivate an organization, recording who (e-mail), when and why; the caller commits."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise Refusal("Informe o motivo da desativação (até 500 caracteres).", "reason")
    organization = db.session.get(Organization, organization_id)
    if organization is not None and not organization.active:
        raise Refusal("Este provedor já está desativado.")
    return _change(organization_id, False, reason, by, now)


def activate(organization_id: int, *, reason: str | None = None, by: str | None = None,
             now: datetime | None = None) -> Organization:
    """Reactivate an organization and, after the caller's commit, restart its unfinished batches.

    Messages and webhooks left queued meanwhile go out with the next delivery sweeps (every minute).
    """
    organization = db.session.get(Organization, organization_id)
    if organization is not None and organization.active:
        raise Refusal("Este provedor já está ativo.")
    reason = (reason or "").strip()[:500] or None
    organization = _change(organization_id, True, reason, by, now)
    for batch_id in db.session.scalars(select(Batch.id).where(Batch.organization_id == organization_id,
                                                              Batch.status != "done").order_by(Batch.id)):
        jobs.enqueue("batch.run", batch_id)
    return organization


def inactive_ids():
    """A subquery of the ids of deactivated organizations (jobs leave out their rows: `col.not_in(inactive_ids())`)."""
    return select(Organization.id).where(Organization.active.is_(False)).scalar_subquery()


def holds(model, row_id: int) -> bool:
    """Whether a job must leave row `row_id` of `model` alone for now because its organization is deactivated."""
    row = db.session.get(model, row_id)
    return row is not None and not is_active(row.organization_id)
