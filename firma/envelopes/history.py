"""The signature history: envelopes filtered by status, branch, integration, period and signer, paged or as CSV."""
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from firma.br.dates import LOCAL_TZ, local_time
from firma.br.identifiers import search_key
from firma.extensions import db
from firma.models import Envelope, EnvelopeStatus, ReviewState, Signer
from firma.platform.text import csv_cell

PAGE_SIZE = 25


@dataclass
class Filters:
    """The history's filters as typed by staff (status, branch, integration, period, search)."""

    status: EnvelopeStatus | None = None
    review_state: ReviewState | None = None
    branch_id: int | None = None
    integration_id: int | None = None
    start: date | None = None
    end: date | None = None
    q: str = ""  # signer name, CPF, envelope code or title


@dataclass
class Page:
    """One page of the history: envelopes, page number, total and whether more follow."""

    items: list[Envelope]
    page: int
    pages: int
    total: int


def query(f: Filters) -> Select:
    """Envelopes matching the filters, newest first."""
    stmt = select(Envelope)
    if f.status:
        stmt = stmt.where(Envelope.status == f.status)
    if f.review_state:
        stmt = stmt.where(Envelope.review_state == f.review_state)
    if f.branch_id:
        stmt = stmt.where(Envelope.branch_id == f.branch_id)
    if f.integration_id:
        stmt = stmt.where(Envelope.integration_id == f.integration_id)
    if f.start:
        stmt = stmt.where(Envelope.created_at >= datetime.combine(f.start, time.min, LOCAL_TZ))
    if f.end:
        stmt = stmt.where(Envelope.created_at < datetime.combine(f.end + timedelta(days=1), time.min, LOCAL_TZ))
    text = f.q.strip()
    if text:
        like = f"%{text.lower()}%"
        signer_match = [func.lower(Signer.name).like(like)]
        if len(key := search_key(text)) >= 3:
            signer_match.append(Signer.cpf.like(f"%{key}%"))
        signers = select(Signer.envelope_id).where(or_(*signer_match))
        stmt = stmt.where(or_(Envelope.id.in_(signers), func.lower(Envelope.title).like(like),
                              func.upper(Envelope.public_code) == text.upper()))
    return stmt.order_by(Envelope.created_at.desc(), Envelope.id.desc())


def page(f: Filters, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Envelopes matching the filters, newest first, one page at a time."""
    stmt = query(f)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    items = list(db.session.scalars(stmt.options(selectinload(Envelope.signers), joinedload(Envelope.branch))
                                    .limit(size).offset((number - 1) * size)))  # what each row shows
    return Page(items, number, pages, total)


def csv_text(f: Filters) -> str:
    """Every matching envelope as CSV (semicolon-separated, as Brazilian spreadsheets expect; no formulas)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Código", "Documento", "Situação", "Filial", "Integração", "Contrato", "Criado em",
                     "Assinado em", "Signatários"])
    for env in db.session.scalars(query(f)).yield_per(200):
        signers = ", ".join(f"{s.name} ({s.status.label})" for s in env.signers)
        writer.writerow([csv_cell(cell) for cell in (
            env.public_code, env.title, env.status.label, env.branch.name, env.integration.description,
            env.contract.number if env.contract else "", local_time(env.created_at), local_time(env.completed_at),
            signers)])
    return out.getvalue()
