"""Audit archival's one privileged path (the gate table the append-only triggers consult) and the hash
algorithm each audit link, the chain head and each stored file was made with (sha256 for existing rows).

Revision ID: b9869716e8e3
Revises: 292c6cd0d422
Create Date: 2026-12-01 22:09:15.033625

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9869716e8e3'
down_revision = '292c6cd0d422'
branch_labels = None
depends_on = None

AUDIT_TABLES = (("audit_records", "id"), ("audit_chain", "record_id"))

# PostgreSQL: one trigger function for both tables. A DELETE passes only for a row whose record id the
# archiving transaction has put into audit_archive_gate; UPDATE and TRUNCATE are always refused.
PG_GATED_FUNCTION = """
CREATE OR REPLACE FUNCTION evalsys_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Separate IFs: PL/pgSQL resolves every OLD field of one expression, and the tables' columns differ.
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_records' THEN
        IF EXISTS (SELECT 1 FROM audit_archive_gate WHERE record_id = OLD.id) THEN
            RETURN OLD;
        END IF;
    ELSIF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_chain' THEN
        IF EXISTS (SELECT 1 FROM audit_archive_gate WHERE record_id = OLD.record_id) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END $$"""

PG_PLAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION evalsys_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END $$"""


def _sqlite_triggers(gated: bool) -> None:
    for table, column in AUDIT_TABLES:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                   "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END")
        when = (f"WHEN NOT EXISTS (SELECT 1 FROM audit_archive_gate WHERE record_id = OLD.{column}) "
                if gated else "")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {when}"
                   "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END")


def _sqlite_drop_triggers() -> None:
    for table, _ in AUDIT_TABLES:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


def upgrade():
    op.create_table('audit_archive_gate',
    sa.Column('record_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_audit_archive_gate'))
    )
    # ADD COLUMN needs no table rebuild on SQLite, so the triggers on audit_chain survive it.
    with op.batch_alter_table('audit_chain', schema=None) as batch_op:
        batch_op.add_column(sa.Column('algorithm', sa.String(length=10), server_default='sha256', nullable=False))

    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('algorithm', sa.String(length=10), server_default='sha256', nullable=False))

    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hash_algorithm', sa.String(length=10), server_default='sha256', nullable=False))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GATED_FUNCTION)
    else:
        _sqlite_triggers(gated=True)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect != "postgresql":
        _sqlite_drop_triggers()  # a batch rebuild of audit_chain below would lose them anyway
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_column('hash_algorithm')

    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('algorithm')

    with op.batch_alter_table('audit_chain', schema=None) as batch_op:
        batch_op.drop_column('algorithm')

    if dialect == "postgresql":
        op.execute(PG_PLAIN_FUNCTION)
    else:
        _sqlite_triggers(gated=False)
    op.drop_table('audit_archive_gate')
