"""client source port on events and evidence

Revision ID: afpdf_0001
Revises: 3d5bfed775b5

Existing rows keep a NULL port: their event hashes do not cover a port, and stay valid.
"""
from alembic import op
import sqlalchemy as sa


revision = "afpdf_0001"
down_revision = "3d5bfed775b5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("port", sa.Integer(), nullable=True))
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("port", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("port")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("port")
