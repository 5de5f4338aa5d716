"""organizations: every record belongs to one; existing data moves into one organization

Revision ID: orgs_0001
Revises: 3d5bfed775b5
Create Date: 2026-12-01 13:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'orgs_0001'
down_revision = 'harden_0001'
branch_labels = None
depends_on = None

# Every organization-owned table (firma.platform.tenancy.OrgOwned), parents before children.
OWNED = (
    'users', 'settings', 'integrations', 'branches', 'customers', 'contacts', 'document_templates',
    'template_versions', 'template_term_links', 'contracts', 'terms', 'subjects', 'service_orders', 'envelopes',
    'signers', 'evidence', 'events', 'deliveries', 'batches', 'batch_items', 'idempotency_keys',
)
# Uniqueness that becomes per organization: table -> (old constraint and its columns, new columns).
PER_ORGANIZATION = {
    'customers': ('uq_customers_cpf_cnpj', ['cpf_cnpj']),
    'contracts': ('uq_contracts_number', ['number']),
    'service_orders': ('uq_service_orders_number', ['number']),
}


def upgrade():
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('cnpj', sa.String(length=14), nullable=True),
    sa.Column('max_envelopes_per_month', sa.Integer(), nullable=True),
    sa.Column('max_integrations', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('cnpj', name=op.f('uq_organizations_cnpj'))
    )
    conn = op.get_bind()
    organization_id = None
    if any(conn.execute(sa.text(f'SELECT 1 FROM "{table}" LIMIT 1')).first() for table in OWNED):
        name = conn.execute(sa.text('SELECT company_name FROM settings ORDER BY id LIMIT 1')).scalar() or 'Provedor'
        cnpj = conn.execute(sa.text('SELECT cnpj FROM branches ORDER BY id LIMIT 1')).scalar()
        conn.execute(sa.text('INSERT INTO organizations (name, cnpj, active, created_at) '
                             'VALUES (:name, :cnpj, :active, CURRENT_TIMESTAMP)'),
                     {'name': name, 'cnpj': cnpj or None, 'active': True})
        organization_id = conn.execute(sa.text('SELECT max(id) FROM organizations')).scalar()
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('is_operator', sa.Boolean(), nullable=False, server_default=sa.false()))
    for table in OWNED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('organization_id', sa.Integer(), nullable=True))
        if organization_id is not None:
            conn.execute(sa.text(f'UPDATE "{table}" SET organization_id = :id'), {'id': organization_id})
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('organization_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_organization_id'), ['organization_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_organization_id_organizations'), 'organizations',
                                        ['organization_id'], ['id'])
            if table in PER_ORGANIZATION:
                old, columns = PER_ORGANIZATION[table]
                batch_op.drop_constraint(old, type_='unique')
                batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_organization_id'),
                                                  ['organization_id', *columns])
            elif table == 'settings':
                batch_op.create_unique_constraint(batch_op.f('uq_settings_organization_id'), ['organization_id'])


def downgrade():
    # Going back to one tenant: per-organization duplicates (contract numbers, CPFs) must be resolved first.
    for table in reversed(OWNED):
        with op.batch_alter_table(table) as batch_op:
            if table in PER_ORGANIZATION:
                old, columns = PER_ORGANIZATION[table]
                batch_op.drop_constraint(batch_op.f(f'uq_{table}_organization_id'), type_='unique')
                batch_op.create_unique_constraint(old, columns)
            elif table == 'settings':
                batch_op.drop_constraint(batch_op.f('uq_settings_organization_id'), type_='unique')
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_organization_id_organizations'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_organization_id'))
            batch_op.drop_column('organization_id')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('is_operator')
    op.drop_table('organizations')
