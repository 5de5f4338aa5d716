"""The panel's grouped navigation: Assinaturas, Cadastros, Configurações (one list, read by admin/base.html)."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    """One menu entry: its page, its label and the other pages that belong to it (marked as current)."""

    endpoint: str
    label: str
    also: tuple[str, ...] = ()
    permission: str | None = None
    operator_only: bool = False  # the platform operator's pages (organizations), not a provider's

    def current(self, endpoint: str | None) -> bool:
        """Whether the page being shown belongs to this entry."""
        return endpoint == self.endpoint or endpoint in self.also


@dataclass(frozen=True)
class Group:
    """A titled group of menu entries."""

    title: str
    items: tuple[Item, ...] = field(default_factory=tuple)


MENU = (
    Group("Assinaturas", (
        Item("admin.dashboard", "Painel"),
        Item("admin.history", "Histórico", ("admin.envelope",)),
        Item("admin.batches", "Lotes", ("admin.batch",)),
    )),
    Group("Cadastros", (
        Item("admin.customers", "Clientes", ("admin.customer_edit", "admin.customer")),
        Item("admin.contacts", "Contatos", ("admin.contact_edit",)),
        Item("admin.contracts", "Contratos", ("admin.contract", "admin.contract_save")),
        Item("admin.service_orders", "Ordens de serviço", ("admin.service_order_new", "admin.subject_edit")),
    )),
    Group("Configurações", (
        Item("admin.templates", "Modelos e termos", ("admin.template_edit",)),
        Item("admin.integrations", "Integrações", ("admin.integration_edit",)),
        Item("admin.settings", "Parâmetros gerais"),
        Item("admin.branches", "Filiais", ("admin.branch_edit",)),
        Item("admin.users", "Usuários", ("admin.user_edit",), permission="manage_users"),
    )),
    Group("Plataforma", (
        Item("admin.organization_list", "Provedores", ("admin.organization_create",), operator_only=True),
    )),
)


def admin_nav(user) -> list[Group]:
    """The menu as `user` may see it (entries needing a permission they lack, and empty groups, are left out)."""
    groups = [Group(g.title, tuple(i for i in g.items if _visible(i, user))) for g in MENU]
    return [g for g in groups if g.items]


def _visible(item: Item, user) -> bool:
    if item.operator_only and not user.is_operator:
        return False
    return item.permission is None or user.can(item.permission)
