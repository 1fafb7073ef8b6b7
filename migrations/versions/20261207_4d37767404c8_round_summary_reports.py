"""Issued national summaries of a performance round (signed PDF, serial, snapshot); a new table only.

Revision ID: 4d37767404c8
Revises: 342477085e82
Create Date: 2026-12-07 13:02:22.270193

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4d37767404c8'
down_revision = '342477085e82'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('round_summary_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=60), nullable=False),
    sa.Column('unsigned_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('valid', 'superseded', name='reportstatus', native_enum=False, length=12), nullable=False),
    sa.Column('issuer', sa.String(length=100), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_rounds.id'], name=op.f('fk_round_summary_reports_round_id_evaluation_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_summary_reports')),
    sa.UniqueConstraint('round_id', 'sequence', name=op.f('uq_round_summary_reports_round_id_sequence')),
    sa.UniqueConstraint('serial', name=op.f('uq_round_summary_reports_serial'))
    )
    with op.batch_alter_table('round_summary_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_summary_reports_round_id'), ['round_id'], unique=False)
        batch_op.create_index('uq_round_summary_reports_valid_round', ['round_id'], unique=True, sqlite_where=sa.text("status = 'valid'"), postgresql_where=sa.text("status = 'valid'"))


def downgrade():
    with op.batch_alter_table('round_summary_reports', schema=None) as batch_op:
        batch_op.drop_index('uq_round_summary_reports_valid_round', sqlite_where=sa.text("status = 'valid'"), postgresql_where=sa.text("status = 'valid'"))
        batch_op.drop_index(batch_op.f('ix_round_summary_reports_round_id'))

    op.drop_table('round_summary_reports')
