"""consent before biometrics and the identity-check policy with manual review

Revision ID: consent_0001
Revises: 3d5bfed775b5
Create Date: 2026-12-01 13:05:00

Existing integrations get the new default policy (manual review) and "decline" on a biometric refusal.
Envelopes created before this revision were completed with the face match only recorded, so they are
marked "record" (what actually happened to them); contracts follow their integration ("default").
"""
from alembic import op
import sqlalchemy as sa
import firma.models.base  # noqa: F401  (custom column types)


revision = "consent_0001"
down_revision = "lta_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_policy", sa.String(length=10), nullable=False,
                                      server_default="review"))
        batch_op.add_column(sa.Column("biometric_refusal", sa.String(length=20), nullable=False,
                                      server_default="decline"))
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_policy", sa.String(length=10), nullable=False,
                                      server_default="default"))
    with op.batch_alter_table("envelopes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_policy", sa.String(length=10), nullable=False,
                                      server_default="record"))
        batch_op.add_column(sa.Column("review_state", sa.String(length=10), nullable=False,
                                      server_default="none"))
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", firma.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=254), nullable=True))
        batch_op.create_index(batch_op.f("ix_envelopes_review_state"), ["review_state"], unique=False)
    with op.batch_alter_table("signers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consented_at", firma.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("biometrics_refused", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("signers", schema=None) as batch_op:
        batch_op.drop_column("biometrics_refused")
        batch_op.drop_column("consented_at")
    with op.batch_alter_table("envelopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_envelopes_review_state"))
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("review_state")
        batch_op.drop_column("identity_policy")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("identity_policy")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_column("biometric_refusal")
        batch_op.drop_column("identity_policy")
