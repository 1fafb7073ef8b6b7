"""Notifications keep their message template (a catalogue msgid) and its values (JSON), so each reader sees
them in their own language; older rows have neither and show their stored Chinese text.

Revision ID: 5ff5b3cfdcfe
Revises: 4f8dbfcb0470
Create Date: 2026-12-07 19:05:14.261094

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5ff5b3cfdcfe'
down_revision = '4f8dbfcb0470'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('template')
