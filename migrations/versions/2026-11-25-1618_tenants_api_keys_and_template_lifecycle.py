"""tenants api keys and template lifecycle

Revision ID: a9e730995730
Revises: 7a8e924382b1
Create Date: 2026-11-25 16:18:18.670644
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a9e730995730"
down_revision: str | None = "7a8e924382b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenant_slug")),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_api_key_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("exercise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_exercise_slug"), type_="unique")
        batch_op.create_index(
            "uq_exercise_shared_slug",
            ["slug"],
            unique=True,
            sqlite_where=sa.text("tenant_id IS NULL"),
            postgresql_where=sa.text("tenant_id IS NULL"),
        )
        batch_op.create_index("uq_exercise_tenant_slug", ["tenant_id", "slug"], unique=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_exercise_tenant_id_tenant"), "tenant", ["tenant_id"], ["id"], ondelete="CASCADE"
        )

    with op.batch_alter_table("plan_template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_plan_template_slug"), type_="unique")
        batch_op.create_index(
            "uq_plan_template_shared_slug",
            ["slug"],
            unique=True,
            sqlite_where=sa.text("tenant_id IS NULL"),
            postgresql_where=sa.text("tenant_id IS NULL"),
        )
        batch_op.create_index("uq_plan_template_tenant_slug", ["tenant_id", "slug"], unique=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_template_tenant_id_tenant"), "tenant", ["tenant_id"], ["id"], ondelete="CASCADE"
        )

    with op.batch_alter_table("plan_template_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Tenant-owned rows cannot survive the return to globally unique slugs.
    op.execute("DELETE FROM plan_template WHERE tenant_id IS NOT NULL")
    op.execute("DELETE FROM exercise WHERE tenant_id IS NOT NULL")
    with op.batch_alter_table("plan_template_version", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("created_at")
        batch_op.drop_column("revision")

    with op.batch_alter_table("plan_template", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_plan_template_tenant_id_tenant"), type_="foreignkey")
        batch_op.drop_index("uq_plan_template_tenant_slug")
        batch_op.drop_index(
            "uq_plan_template_shared_slug",
            sqlite_where=sa.text("tenant_id IS NULL"),
            postgresql_where=sa.text("tenant_id IS NULL"),
        )
        batch_op.create_unique_constraint(batch_op.f("uq_plan_template_slug"), ["slug"])
        batch_op.drop_column("tenant_id")

    with op.batch_alter_table("exercise", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_exercise_tenant_id_tenant"), type_="foreignkey")
        batch_op.drop_index("uq_exercise_tenant_slug")
        batch_op.drop_index(
            "uq_exercise_shared_slug",
            sqlite_where=sa.text("tenant_id IS NULL"),
            postgresql_where=sa.text("tenant_id IS NULL"),
        )
        batch_op.create_unique_constraint(batch_op.f("uq_exercise_slug"), ["slug"])
        batch_op.drop_column("tenant_id")

    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_tenant_id"))

    op.drop_table("api_key")
    op.drop_table("tenant")
