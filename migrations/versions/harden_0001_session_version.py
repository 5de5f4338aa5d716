"""users.session_version: logout, password change and deactivation end every session of the user

Revision ID: harden_0001
Revises: 3d5bfed775b5
Create Date: 2026-12-01 13:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'harden_0001'
down_revision = 'consent_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
