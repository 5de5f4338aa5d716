"""B-LTA upkeep: envelopes.lta_expires_at and envelopes.final_versions.

Revision ID: lta_0001
Revises: 3d5bfed775b5
"""
import sqlalchemy as sa
from alembic import op

revision = "lta_0001"
down_revision = "afpdf_0001"
branch_labels = None
depends_on = None


def upgrade():
    # Existing envelopes keep NULL; `firma lta-refresh` reads such final PDFs once to fill lta_expires_at.
    with op.batch_alter_table("envelopes") as batch:
        batch.add_column(sa.Column("lta_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("final_versions", sa.JSON(), nullable=True))
        batch.create_index("ix_envelopes_lta_expires_at", ["lta_expires_at"])


def downgrade():
    with op.batch_alter_table("envelopes") as batch:
        batch.drop_index("ix_envelopes_lta_expires_at")
        batch.drop_column("final_versions")
        batch.drop_column("lta_expires_at")
