"""exercise position, stance, support and effort; lifestyle notes triggered by the intake

Revision ID: c41d2e7f9a10
Revises: a9e730995730
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c41d2e7f9a10"
down_revision: str | None = "a9e730995730"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITIONS = "'standing', 'seated_chair', 'seated_floor', 'half_kneeling', 'kneeling', 'quadruped', 'supine', 'prone', 'side_lying'"
STANCES = "'none', 'bilateral', 'staggered', 'narrow', 'single_leg', 'moving'"
EFFORTS = "'light', 'moderate', 'maximal'"


def upgrade() -> None:
    # Existing rows get a placeholder until `ceplan seed` writes each exercise's own position (tenants' exercises
    # keep it: standing on both feet, the most common case, which the tenant can correct by a new exercise).
    with op.batch_alter_table("exercise", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "position", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="standing"
            )
        )
        batch_op.add_column(
            sa.Column("stance", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="bilateral")
        )
        batch_op.add_column(sa.Column("supported", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("effort", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.create_check_constraint("position", f"position IN ({POSITIONS})")
        batch_op.create_check_constraint("stance", f"stance IN ({STANCES})")
        batch_op.create_check_constraint("effort", f"effort IS NULL OR effort IN ({EFFORTS})")
    with op.batch_alter_table("exercise", schema=None) as batch_op:
        batch_op.alter_column("position", server_default=None)
        batch_op.alter_column("stance", server_default=None)
        batch_op.alter_column("supported", server_default=None)
    with op.batch_alter_table("lifestyle_note", schema=None) as batch_op:
        batch_op.add_column(sa.Column("when_intake", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lifestyle_note", schema=None) as batch_op:
        batch_op.drop_column("when_intake")
    with op.batch_alter_table("exercise", schema=None) as batch_op:
        batch_op.drop_constraint("effort", type_="check")
        batch_op.drop_constraint("stance", type_="check")
        batch_op.drop_constraint("position", type_="check")
        batch_op.drop_column("effort")
        batch_op.drop_column("supported")
        batch_op.drop_column("stance")
        batch_op.drop_column("position")
