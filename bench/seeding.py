"""The benches' one organization: every row a bench seeds belongs to it, as in a real installation."""
from contextlib import AbstractContextManager

from firma.extensions import db
from firma.models import Organization
from firma.platform import tenancy


def organization_scope() -> AbstractContextManager[None]:
    """A fresh organization, and the scope that stamps the rows added inside it."""
    provider = Organization(name="Fibra Bench Ltda", cnpj="11222333000181")
    db.session.add(provider)
    db.session.flush()
    return tenancy.scoped(provider.id)
