"""a revision per tenant and per template; idempotent writes

Revision ID: 5b1f0c3e8d27
Revises: c41d2e7f9a10
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5b1f0c3e8d27"
down_revision: str | None = "c41d2e7f9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tenants that already own templates or exercises start at 1, so a snapshot reads their part once.
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("plan_template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE tenant SET revision = 1 WHERE id IN (SELECT tenant_id FROM plan_template WHERE tenant_id IS NOT NULL)"
        " OR id IN (SELECT tenant_id FROM exercise WHERE tenant_id IS NOT NULL)"
    )
    op.create_table(
        "idempotent_write",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_idempotent_write_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_write")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_idempotent_write_tenant_id_key")),
    )
    with op.batch_alter_table("idempotent_write", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotent_write_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotent_write", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotent_write_created_at"))
    op.drop_table("idempotent_write")
    with op.batch_alter_table("plan_template", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("revision")
