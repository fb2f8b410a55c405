"""unix identities: users.unix_user, jobs.run_as_*

Revision ID: c4d1e2f3a5b6
Revises: aeb5d77d406a
Create Date: 2026-12-01 23:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c4d1e2f3a5b6"
down_revision = "aeb5d77d406a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unix_user", sa.String(length=32), nullable=True))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_as_user", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("run_as_uid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("run_as_gid", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("run_as_gid")
        batch_op.drop_column("run_as_uid")
        batch_op.drop_column("run_as_user")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("unix_user")
