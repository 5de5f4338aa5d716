"""batch progress time: when a batch last finished an item, so a sweep can restart a batch whose jobs were lost

Revision ID: batchsweep_0001
Revises: orgoff_0001
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'batchsweep_0001'
down_revision = 'orgoff_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('batches') as batch:
        batch.add_column(sa.Column('progressed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('batches') as batch:
        batch.drop_column('progressed_at')
