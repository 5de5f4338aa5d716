"""organization status: who deactivated or reactivated an organization, when and why

Revision ID: orgoff_0001
Revises: orgs_0001
Create Date: 2026-12-01 14:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'orgoff_0001'
down_revision = 'orgs_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations') as batch:
        batch.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('status_changed_by', sa.String(254), nullable=True))
        batch.add_column(sa.Column('status_reason', sa.String(500), nullable=True))


def downgrade():
    with op.batch_alter_table('organizations') as batch:
        batch.drop_column('status_reason')
        batch.drop_column('status_changed_by')
        batch.drop_column('status_changed_at')
