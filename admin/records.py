"""Customers, contacts, contracts (four tabs, terms), subjects and service orders, with the send triggers."""
from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from firma.br.identifiers import search_key
from firma.envelopes import batches
from firma.extensions import db
from firma.models import Branch, Contact, Contract, Customer, DocumentTemplate, Envelope, ServiceOrder, Subject
from firma.platform import outbox
from firma.platform.errors import Refusal
from firma.records import customer_overview
from firma.records.contracts import Saved, add_term, new_contract_defaults, save_contract
from firma.records.customers import clean_field, save_contact, save_customer
from firma.records.service_orders import create_service_order, save_subject

from . import bp
from .auth import info, page, require
from .forms import (
    BatchForm, ContactForm, ContractForm, CustomerForm, ServiceOrderForm, SubjectForm, TermForm, form_status, run_form,
)

PAGE_SIZE = 50
CONTRACT_TABS = {"contrato": "Contrato", "assinatura": "Avalista/Assinatura digital",
                 "historico": "Histórico de assinaturas digitais", "termos": "Termos"}


def _choices(model, label, *where, blank="— escolha —"):
    rows = db.session.scalars(select(model).where(*where).order_by(label))
    return {None: blank, **{r.id: getattr(r, label.key) for r in rows}}


def _saved_message(saved: Saved, what: str, *, feminine: bool = False) -> str:
    done = "salva" if feminine else "salvo"
    sent = "enviada" if feminine else "enviado"
    if saved.envelope is None:
        return f"{what} {done}."
    return f"{what} {done} e {sent} para assinatura ({saved.envelope.public_code})."


# --- customers ---------------------------------------------------------------------------------------

def customer_search(q: str):
    """Customers whose name or CPF/CNPJ matches the search."""
    stmt = select(Customer).order_by(Customer.name).limit(PAGE_SIZE)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        conditions = [func.lower(Customer.name).like(like), func.lower(Customer.email).like(like)]
        if key := search_key(q):
            conditions.append(Customer.cpf_cnpj.like(f"%{key}%"))
        stmt = stmt.where(or_(*conditions))
    return db.session.scalars(stmt)


@bp.get("/clientes")
def customers():
    """The customer list, with search."""
    q = request.args.get("q", "")
    return page("admin/customers.html", "admin/_customer_rows.html", customers=customer_search(q), q=q)


@bp.route("/clientes/novo", methods=["GET", "POST"], defaults={"customer_id": None})
@bp.route("/clientes/<int:customer_id>", methods=["GET", "POST"])
@require("manage_records")
def customer_edit(customer_id: int | None):
    """Create or edit a customer."""
    customer = (db.session.get(Customer, customer_id) or abort(404)) if customer_id else None
    form = CustomerForm(obj=customer)
    if run_form(form, lambda: save_customer(customer, form.data)):
        outbox.commit()
        flash("Cliente salvo.", "ok")
        return redirect(url_for("admin.customers"))
    return page("admin/customer_form.html", status=form_status(form), form=form, customer=customer,
                overview=customer_overview.overview(customer) if customer else None)


@bp.post("/validar/<field>")
def validate_field(field: str):
    """Inline validation of one customer/contact field as the person types (htmx)."""
    if field not in ("cpf_cnpj", "cpf", "email", "phone", "zip_code", "state"):
        abort(404)
    value = request.form.get(field, "")
    try:
        clean_field(field, value)
        message = None
    except Refusal as exc:
        message = exc.message
    return render_template("admin/_field_check.html", field=field, message=message, value=value)


# --- contacts ----------------------------------------------------------------------------------------

@bp.get("/contatos")
def contacts():
    """The contact (client's witness) list."""
    rows = db.session.scalars(select(Contact).order_by(Contact.name).limit(500))
    return page("admin/contacts.html", contacts=rows)


@bp.route("/contatos/novo", methods=["GET", "POST"], defaults={"contact_id": None})
@bp.route("/contatos/<int:contact_id>", methods=["GET", "POST"])
@require("manage_records")
def contact_edit(contact_id: int | None):
    """Create or edit a contact."""
    contact = (db.session.get(Contact, contact_id) or abort(404)) if contact_id else None
    form = ContactForm(obj=contact)
    form.customer_id.choices = _choices(Customer, Customer.name, blank="— nenhum —")
    if run_form(form, lambda: save_contact(contact, form.data)):
        outbox.commit()
        flash("Contato salvo.", "ok")
        return redirect(url_for("admin.contacts"))
    return page("admin/contact_form.html", status=form_status(form), form=form, contact=contact)


# --- contracts ---------------------------------------------------------------------------------------

def contract_query(q: str, status: str, branch_id: int | None):
    """Contracts matching the list's search, status and branch.

    The customers searched are a subquery, not a join: on tables with no statistics yet (a first import, or
    PostgreSQL without autovacuum) the planner nest-looped the join over every row, 50 ms for 1,000 contracts."""
    stmt = select(Contract).order_by(Contract.id.desc())
    if q.strip():
        like = f"%{q.strip().lower()}%"
        customers = [func.lower(Customer.name).like(like)]
        if key := search_key(q):
            customers.append(Customer.cpf_cnpj.like(f"%{key}%"))
        stmt = stmt.where(or_(func.lower(Contract.number).like(like),
                              Contract.customer_id.in_(select(Customer.id).where(or_(*customers)))))
    if status:
        stmt = stmt.where(Contract.status == status)
    if branch_id:
        stmt = stmt.where(Contract.branch_id == branch_id)
    return stmt


def batch_form() -> BatchForm:
    """The batch form with the actions the user may run."""
    form = BatchForm()
    form.action.choices = dict(batches.ACTIONS)
    return form


def contract_filters() -> dict:
    """The contract list's filters from the query string."""
    return {"q": request.values.get("q", ""), "status": request.values.get("status", ""),
            "branch_id": request.values.get("branch_id", type=int)}


@bp.get("/contratos")
def contracts():
    """The contract list, with filters and batch selection."""
    filters = contract_filters()
    stmt = contract_query(**filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page_number = max(1, request.args.get("page", 1, type=int))
    rows = db.session.scalars(stmt.options(selectinload(Contract.customer))
                              .limit(PAGE_SIZE).offset((page_number - 1) * PAGE_SIZE))
    branches = db.session.scalars(select(Branch).order_by(Branch.name))
    return page("admin/contracts.html", contracts=rows, filters=filters, total=total, page_number=page_number,
                pages=max(1, -(-total // PAGE_SIZE)), branches=branches, batch=batch_form())


def contract_form(contract: Contract | None) -> ContractForm:
    """The contract form, filled from a contract or with the defaults."""
    defaults = None if contract else new_contract_defaults() | {"customer_id": request.args.get("customer_id", type=int)}
    form = ContractForm(obj=contract, data=defaults)
    form.customer_id.choices = _choices(Customer, Customer.name)
    form.branch_id.choices = _choices(Branch, Branch.name)
    form.template_id.choices = _choices(DocumentTemplate, DocumentTemplate.name, DocumentTemplate.kind == "contract")
    form.witness_contact_id.choices = _choices(Contact, Contact.name, blank="— nenhuma —")
    return form


@bp.get("/contratos/<int:contract_id>")
def contract(contract_id: int):
    """A contract's page: tabs for the contract, digital signature, history and terms."""
    row = db.session.get(Contract, contract_id) or abort(404)
    tab = request.args.get("aba", "contrato")
    if tab not in CONTRACT_TABS:
        abort(404)
    return _contract_page(row, tab, contract_form(row))


def term_form() -> TermForm:
    """The contract page's "add a term" form, offering the term templates."""
    form = TermForm()
    form.template_id.choices = _choices(DocumentTemplate, DocumentTemplate.name, DocumentTemplate.kind == "term")
    return form


def _contract_page(row, tab, form, terms: TermForm | None = None):
    """The contract's tabbed page; 422 when its contract form or its term form was refused."""
    envelopes = db.session.scalars(select(Envelope).where(Envelope.contract_id == row.id)
                                   .order_by(Envelope.id.desc())) if row else []
    terms = terms or term_form()
    return page("admin/contract.html", status=form_status(form, terms), contract=row, tab=tab, tabs=CONTRACT_TABS,
                form=form, envelopes=envelopes, term_form=terms)


@bp.route("/contratos/novo", methods=["GET", "POST"], defaults={"contract_id": None})
@bp.post("/contratos/<int:contract_id>")
@require("manage_records")
def contract_save(contract_id: int | None):
    """Save a contract (which may open and send its envelope)."""
    row = (db.session.get(Contract, contract_id) or abort(404)) if contract_id else None
    form = contract_form(row)
    tab = request.args.get("aba", "contrato")
    if saved := run_form(form, lambda: save_contract(row, form.data, by=g.user, info=info())):
        outbox.commit()
        flash(_saved_message(saved, "Contrato"), "ok")
        return redirect(url_for("admin.contract", contract_id=saved.record.id, aba=tab))
    return _contract_page(row, tab, form)


@bp.post("/contratos/<int:contract_id>/termos")
@require("manage_records")
def term_add(contract_id: int):
    """Attach a term to a contract (a term not signed sends its own link)."""
    row = db.session.get(Contract, contract_id) or abort(404)
    form = term_form()

    def add():
        template = db.session.get(DocumentTemplate, form.template_id.data or 0)
        return add_term(row, template, signed=form.signed.data == "yes", by=g.user, info=info())

    if saved := run_form(form, add):
        outbox.commit()
        flash(_saved_message(saved, "Termo"), "ok")
        return redirect(url_for("admin.contract", contract_id=row.id, aba="termos"))
    return _contract_page(row, "termos", contract_form(row), form)


# --- subjects and service orders -----------------------------------------------------------------------

@bp.get("/ordens")
def service_orders():
    """The service order list and the subjects."""
    rows = db.session.scalars(select(ServiceOrder).order_by(ServiceOrder.id.desc()).limit(200))
    subjects = db.session.scalars(select(Subject).order_by(Subject.name))
    return page("admin/service_orders.html", orders=rows, subjects=subjects)


@bp.route("/ordens/nova", methods=["GET", "POST"])
@require("manage_records")
def service_order_new():
    """Create a service order (a flagged subject sends a signing link)."""
    form = ServiceOrderForm()
    form.customer_id.choices = _choices(Customer, Customer.name)
    form.branch_id.choices = _choices(Branch, Branch.name)
    form.subject_id.choices = _choices(Subject, Subject.name)
    form.contract_id.choices = _choices(Contract, Contract.number, blank="— nenhum —")
    if saved := run_form(form, lambda: create_service_order(form.data, by=g.user, info=info())):
        outbox.commit()
        flash(_saved_message(saved, "Ordem de serviço", feminine=True), "ok")
        return redirect(url_for("admin.service_orders"))
    return page("admin/service_order_form.html", status=form_status(form), form=form)


@bp.route("/assuntos/novo", methods=["GET", "POST"], defaults={"subject_id": None})
@bp.route("/assuntos/<int:subject_id>", methods=["GET", "POST"])
@require("manage_records")
def subject_edit(subject_id: int | None):
    """Create or edit a service-order subject."""
    subject = (db.session.get(Subject, subject_id) or abort(404)) if subject_id else None
    form = SubjectForm(obj=subject)
    form.template_id.choices = _choices(DocumentTemplate, DocumentTemplate.name,
                                        DocumentTemplate.kind == "service_order", blank="— nenhum —")
    if run_form(form, lambda: save_subject(subject, name=form.name.data, digital_signature=form.digital_signature.data,
                                           template_id=form.template_id.data)):
        outbox.commit()
        flash("Assunto salvo.", "ok")
        return redirect(url_for("admin.service_orders"))
    return page("admin/subject_form.html", status=form_status(form), form=form, subject=subject)
