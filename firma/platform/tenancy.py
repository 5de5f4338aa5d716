"""The current organization and the one place that scopes every ORM query, get and insert to it.

A request sets the organization once (staff by their user, the API by the integration token, signers by their
link); from then on every ORM SELECT, UPDATE and DELETE on an organization-owned model gets
`organization_id = current` added (`with_loader_criteria`), `Session.get` answers None for another
organization's row even from the identity map, and every new row is stamped with the organization on flush.
Outside a scope (jobs, sweeps, the CLI, the test body) nothing is filtered: a new row then takes the
organization of the rows it points at, and a row that has none is refused.
"""
from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import ForeignKey, event, inspect
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, with_loader_criteria
from sqlalchemy.orm.base import NO_VALUE

_KEY = "firma_organization_id"
# Tests may name an organization for rows their own code makes with no scope and no parent (see tests/conftest).
_orphan_organization = None


class OrgOwned:
    """Mixin of every model that belongs to one organization (scoped by this module)."""

    @declared_attr
    def organization_id(cls) -> Mapped[int]:
        """The owning organization."""
        return mapped_column(ForeignKey("organizations.id"), index=True, nullable=False)


def current() -> int | None:
    """The id of the organization the current request or job acts for, or None when unscoped."""
    return g.get(_KEY) if has_app_context() else None


def enter(organization_id: int) -> None:
    """Scope the rest of the current request (or app context) to one organization."""
    setattr(g, _KEY, int(organization_id))


def leave(*_args) -> None:
    """End the scope (a request's teardown calls this, so a shared test app context is unscoped again)."""
    if has_app_context():
        g.pop(_KEY, None)


@contextmanager
def scoped(organization_id: int | None) -> Iterator[None]:
    """Run a block for one organization (None: deliberately unscoped), restoring the previous scope."""
    previous = current()
    if organization_id is None:
        leave()
    else:
        enter(organization_id)
    try:
        yield
    finally:
        leave()
        if previous is not None:
            enter(previous)


def adopt_orphans(organization_id) -> None:
    """Tests only: a callable giving the organization of unscoped rows that have no parent (None: refuse them)."""
    global _orphan_organization
    _orphan_organization = organization_id


def init_app(app) -> None:
    """A request's scope never outlives it."""
    app.teardown_request(leave)


class ScopedSession(FlaskSession):
    """Flask-SQLAlchemy's session whose `get` hides another organization's row, even one already loaded."""

    def get(self, entity, ident, **kwargs):
        """Session.get, answering None for a row of another organization than the current one."""
        row = super().get(entity, ident, **kwargs)
        organization_id = current()
        if row is not None and organization_id is not None and isinstance(row, OrgOwned) \
                and row.organization_id != organization_id:
            return None
        return row


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state) -> None:
    """Add `organization_id = current` to every ORM statement on an organization-owned model."""
    organization_id = current()
    if organization_id is None or state.execution_options.get("unscoped"):
        return
    if (state.is_select or state.is_update or state.is_delete) and not state.is_column_load \
            and not state.is_relationship_load:
        state.statement = state.statement.options(with_loader_criteria(
            OrgOwned, lambda cls: cls.organization_id == organization_id, include_aliases=True))


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session, flush_context, instances) -> None:
    """Give every new organization-owned row its organization: the current one, or that of its parent rows."""
    organization_id = current()
    with session.no_autoflush:
        for row in list(session.new):
            if isinstance(row, OrgOwned) and row.organization_id is None:
                row.organization_id = organization_id or _inherited(session, row, set())
                if row.organization_id is None and _orphan_organization is not None:
                    row.organization_id = _orphan_organization()
                if row.organization_id is None:
                    raise RuntimeError(f"{type(row).__name__} has no organization (set a scope or a parent row)")


def _inherited(session, row, seen: set) -> int | None:
    """The organization of the first parent row `row` points at (by relationship or by foreign key)."""
    if id(row) in seen:
        return None
    seen.add(id(row))
    state = inspect(row)
    for rel in state.mapper.relationships:
        if rel.direction.name != "MANYTOONE" or not issubclass(rel.mapper.class_, OrgOwned):
            continue
        parent = state.attrs[rel.key].loaded_value
        if parent is not NO_VALUE and parent is not None:
            found = parent.organization_id or _inherited(session, parent, seen)
            if found:
                return found
    for column in state.mapper.local_table.columns:
        for fk in column.foreign_keys:
            target = _class_of_table(state.mapper, fk.column.table)
            value = getattr(row, state.mapper.get_property_by_column(column).key, None)
            if target is not None and value is not None:
                parent = session.get(target, value)
                if parent is not None and parent.organization_id:
                    return parent.organization_id
    return None


def _class_of_table(mapper, table):
    """The organization-owned mapped class of `table`, if any."""
    for other in mapper.registry.mappers:
        if other.local_table is table and issubclass(other.class_, OrgOwned):
            return other.class_
    return None
