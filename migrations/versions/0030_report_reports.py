"""Credit reports (企业信用报告) and their verifications (报告验真): number, hash of the
verification code, SHA-256 of the PDF handed out, what it was made from; every check.

Revision ID: 0030_report
Revises: 0029_identity
Create Date: 2026-12-05 06:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030_report'
down_revision = '0029_identity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'credit_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('snapshot_id', sa.Integer(), nullable=True),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('bank_id', sa.Integer(), nullable=True),
        sa.Column('authorization_id', sa.Integer(), nullable=True),
        sa.Column('access_log_id', sa.Integer(), nullable=True),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=True),
        sa.Column('period_start', sa.String(length=7), nullable=True),
        sa.Column('period_end', sa.String(length=7), nullable=True),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('grade', sa.String(length=10), nullable=True),
        sa.Column('code_hash', sa.String(length=255), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('pdf_size', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_credit_reports_enterprise_id_enterprises')),
        sa.ForeignKeyConstraint(['snapshot_id'], ['profile_snapshots.id'], name=op.f('fk_credit_reports_snapshot_id_profile_snapshots')),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_credit_reports_issued_by_id_users')),
        sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_credit_reports_bank_id_banks')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_reports')),
        sa.UniqueConstraint('number', name=op.f('uq_credit_reports_number')),
    )
    op.create_index(op.f('ix_credit_reports_enterprise_id'), 'credit_reports', ['enterprise_id'], unique=False)
    op.create_table(
        'report_verifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('method', sa.String(length=6), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.CheckConstraint("outcome IN ('unchanged','altered','code_only','wrong_code')", name=op.f('ck_report_verifications_outcome')),
        sa.CheckConstraint("method IN ('file','hash','none')", name=op.f('ck_report_verifications_method')),
        sa.ForeignKeyConstraint(['report_id'], ['credit_reports.id'], name=op.f('fk_report_verifications_report_id_credit_reports')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_verifications')),
    )
    op.create_index(op.f('ix_report_verifications_report_id'), 'report_verifications', ['report_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_report_verifications_report_id'), table_name='report_verifications')
    op.drop_table('report_verifications')
    op.drop_index(op.f('ix_credit_reports_enterprise_id'), table_name='credit_reports')
    op.drop_table('credit_reports')
