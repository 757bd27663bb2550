"""Credit repair (issue 15): repairs, their events and evidence files, and the credit
commitment (信用承诺书) texts, versioned and hashed like the consent texts; version 1 is
seeded in Chinese and English.

Revision ID: 0020_repair
Revises: 0019_repair
Create Date: 2026-12-04 21:10:00

"""
import hashlib
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_repair'
down_revision = '0019_repair'
branch_labels = None
depends_on = None

COMMITMENT_ZH = (
    "信用承诺书",
    "本企业就本次信用修复申请郑重承诺：\n"
    "一、所提交的情况说明和证明材料真实、准确、完整，不存在虚假记载、误导性陈述或重大遗漏；\n"
    "二、已履行行政处罚决定或失信认定所规定的义务，已纠正失信行为、消除不良影响；\n"
    "三、今后严格遵守法律法规，诚信经营，自觉接受政府部门和社会监督；\n"
    "四、如违反上述承诺，愿依法承担相应责任，同意撤销本次信用修复结果，"
    "并将违背承诺的情况记入本企业的公共信用记录。",
)
COMMITMENT_EN = (
    "Credit commitment",
    "For this credit repair application, the enterprise solemnly undertakes that:\n"
    "1. The statement and the evidence it submits are true, accurate and complete, with no "
    "false record, misleading statement or material omission;\n"
    "2. It has fulfilled the obligations set by the penalty decision or the dishonesty "
    "finding, corrected the dishonest conduct and removed its ill effects;\n"
    "3. It will abide by the laws and regulations, operate in good faith and accept the "
    "supervision of the government and the public;\n"
    "4. Should it break this commitment, it bears the legal consequences, agrees that this "
    "repair be revoked, and that the breach be entered in its public credit record.",
)


def upgrade():
    texts = op.create_table('commitment_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_texts')),
    sa.UniqueConstraint('version', 'locale', name=op.f('uq_commitment_texts_version_locale'))
    )
    op.create_table('repairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('commitment_text_id', sa.Integer(), nullable=False),
    sa.Column('commitment_version', sa.Integer(), nullable=False),
    sa.Column('commitment_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('extension_note', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('repaired_on', sa.Date(), nullable=True),
    sa.CheckConstraint("status IN ('pending','extended','approved','rejected','revoked')", name=op.f('ck_repairs_status')),
    sa.ForeignKeyConstraint(['commitment_text_id'], ['commitment_texts.id'], name=op.f('fk_repairs_commitment_text_id_commitment_texts')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_repairs_decided_by_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_repairs_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_repairs_filed_by_id_users')),
    sa.ForeignKeyConstraint(['record_id'], ['public_credit_records.id'], name=op.f('fk_repairs_record_id_public_credit_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repairs'))
    )
    op.create_index(op.f('ix_repairs_enterprise_id'), 'repairs', ['enterprise_id'], unique=False)
    op.create_index('ix_repairs_record_status', 'repairs', ['record_id', 'status'], unique=False)
    op.create_index('ix_repairs_status_deadline', 'repairs', ['status', 'deadline'], unique=False)
    op.create_index('uq_repairs_one_standing', 'repairs', ['record_id'], unique=True,
                    postgresql_where=sa.text("status IN ('pending','extended','approved')"),
                    sqlite_where=sa.text("status IN ('pending','extended','approved')"))
    op.create_table('repair_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repair_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=True),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['repair_id'], ['repairs.id'], name=op.f('fk_repair_events_repair_id_repairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_repair_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_events'))
    )
    op.create_index(op.f('ix_repair_events_repair_id'), 'repair_events', ['repair_id'], unique=False)
    op.create_table('repair_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repair_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("content_type IN ('application/pdf','image/jpeg','image/png')", name=op.f('ck_repair_files_content_type')),
    sa.ForeignKeyConstraint(['repair_id'], ['repairs.id'], name=op.f('fk_repair_files_repair_id_repairs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_repair_files_stored_name'))
    )
    op.create_index(op.f('ix_repair_files_repair_id'), 'repair_files', ['repair_id'], unique=False)

    now = datetime.now(timezone.utc)  # the migration's own time, as a created_at default
    op.bulk_insert(texts, [
        {"version": 1, "locale": locale, "title": title, "body": body,
         "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(), "created_at": now}
        for locale, (title, body) in (("zh", COMMITMENT_ZH), ("en", COMMITMENT_EN))
    ])


def downgrade():
    op.drop_index(op.f('ix_repair_files_repair_id'), table_name='repair_files')
    op.drop_table('repair_files')
    op.drop_index(op.f('ix_repair_events_repair_id'), table_name='repair_events')
    op.drop_table('repair_events')
    op.drop_index('uq_repairs_one_standing', table_name='repairs')
    op.drop_index('ix_repairs_status_deadline', table_name='repairs')
    op.drop_index('ix_repairs_record_status', table_name='repairs')
    op.drop_index(op.f('ix_repairs_enterprise_id'), table_name='repairs')
    op.drop_table('repairs')
    op.drop_table('commitment_texts')

