"""Signed checkpoints: a cut chain, an edited row (even with the chain recomputed), a deleted
or forged checkpoint are each caught by `flask audit verify` and by the offline verifier."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.audit import chain, checkpoints, services
from app.audit.models import AccessLogEntry, AuditCheckpoint, AuditCheckpointLeaf
from app.auth.models import Role
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]

TRIGGERS = {
    "access_log": ("access_log_no_update", "access_log_no_delete"),
    "audit_checkpoints": ("audit_checkpoints_no_update", "audit_checkpoints_no_delete"),
    "audit_checkpoint_leaves": (
        "audit_checkpoint_leaves_no_update",
        "audit_checkpoint_leaves_no_delete",
    ),
}


def _tamper(table: str, sql: str, params: dict | None = None) -> None:
    """Change rows behind the triggers' back, as an attacker with table access would."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text(sql), params or {})
        db.session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    else:
        for trigger in TRIGGERS[table]:
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        db.session.execute(text(sql), params or {})  # the test's rollback restores them
    db.session.expire_all()


@pytest.fixture
def rows(factories):
    """Four rows appended to the chain."""
    officer, enterprise = factories.user(Role.BANK_OFFICER), factories.enterprise()

    def append():
        return services.append(
            user_id=officer.id, bank_id=officer.bank_id, enterprise_id=enterprise.id,
            endpoint="/api/v1/enterprises/x/profile", channel="api", outcome="allowed",
            requested=["tax_payments"], granted=["tax_payments"], ip="10.1.2.3",
        )  # fmt: skip

    made = [append() for _ in range(4)]
    db.session.commit()
    made.append(append)  # the last item appends one more
    return made


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_a_checkpoint_is_signed_into_the_database_and_the_directory(app, rows, login_as):
    result = _cli(app, "checkpoint")
    assert result.exit_code == 0, result.output
    row = db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()))
    leaf = chain.Leaf(rows[0].enterprise_id, 4, rows[3].id, rows[3].row_hash)
    stored = db.session.scalars(
        select(AuditCheckpointLeaf).where(AuditCheckpointLeaf.seq == row.seq)
    )
    assert [(x.chain, x.length, x.last_id, x.head) for x in stored] == [
        (leaf.chain, leaf.length, leaf.last_id, leaf.head)
    ]
    assert row.head == chain.merkle_root([leaf]) and row.length == 4 and row.chains == 1
    path = checkpoints.directory() / f"checkpoint-{row.seq:08d}.json"
    on_disk = chain.Signed.from_json(path.read_text())
    assert on_disk.statement.root == row.head and on_disk.signature == row.signature
    assert on_disk.changed == (leaf,)
    assert chain.signature_valid(on_disk, checkpoints.public_key())
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    rows[-1]()  # the chain grows past the checkpoint: still fine
    verified = _cli(app, "verify")
    assert verified.exit_code == 0, verified.output
    assert f"match signed checkpoint {row.seq}" in verified.output
    web, _admin = login_as(Role.ADMIN)
    page = web.get("/admin/audit").get_data(as_text=True)
    assert f"第 {row.seq} 号" in page and row.head in page


def test_a_cut_chain_is_caught(app, rows):
    assert _cli(app, "checkpoint").exit_code == 0
    _tamper("access_log", "DELETE FROM access_log WHERE id >= :id", {"id": rows[2].id})
    assert services.verify_chain().ok  # the chain alone cannot tell: its tail is just gone
    result = _cli(app, "verify")
    assert result.exit_code == 1
    cut = f"chain {rows[0].enterprise_id} lacks the rows after row {rows[1].id}"
    assert f"the log was cut: {cut}" in result.output
    assert f"covers 4 rows up to row {rows[3].id}" in result.output
    # A checkpoint reads the chains' heads, not the log: this chain's head did not move, so
    # it signs the same leaf again (4 rows), never the shorter chain, and verify still fails.
    assert _cli(app, "checkpoint").exit_code == 0
    leaves, _seq = checkpoints.signed_leaves()
    assert leaves[rows[0].enterprise_id].length == 4
    assert _cli(app, "verify").exit_code == 1


def test_a_cut_chain_with_its_head_moved_back_is_refused(app, rows):
    """The attacker also rewinds the head row: the chain is shorter than its signed leaf."""
    assert _cli(app, "checkpoint").exit_code == 0
    _tamper("access_log", "DELETE FROM access_log WHERE id >= :id", {"id": rows[2].id})
    db.session.execute(
        text("UPDATE access_log_heads SET length = 2, last_id = :i, head = :h WHERE chain = :c"),
        {"i": rows[1].id, "h": rows[1].row_hash, "c": rows[0].enterprise_id},
    )
    refused = _cli(app, "checkpoint")
    assert refused.exit_code == 1 and "the log was cut" in refused.output


def test_a_head_the_rows_do_not_reach_is_refused(app, rows):
    """A head moved on without the rows behind it (or rows cut after the signed leaf) is
    not signed: the checkpoint walks the rows added since the signed leaf."""
    assert _cli(app, "checkpoint").exit_code == 0
    rows[-1]()
    db.session.commit()
    db.session.execute(
        text("UPDATE access_log_heads SET length = 6 WHERE chain = :c"),
        {"c": rows[0].enterprise_id},
    )
    refused = _cli(app, "checkpoint")
    assert refused.exit_code == 1 and "does not link on" in refused.output


def test_a_stored_leaf_altered_after_signing_is_refused_by_the_next_checkpoint(app, rows):
    """The writer takes each chain's newest stored leaf, not a replay of every checkpoint,
    and checks them against the latest signed tree head."""
    assert _cli(app, "checkpoint").exit_code == 0
    _tamper("audit_checkpoint_leaves", "UPDATE audit_checkpoint_leaves SET length = 3")
    refused = _cli(app, "checkpoint")
    assert refused.exit_code == 1 and "do not give its signed tree head" in refused.output


def test_heads_follow_their_chains(app, factories, rows):
    """Every append moves its chain's head: the heads are what a full count of the log
    gives, chain by chain."""
    other = factories.enterprise()
    services.append(
        user_id=None, bank_id=None, enterprise_id=other.id, endpoint="/x", channel="web",
        outcome="denied",
    )  # fmt: skip
    rows[-1]()
    db.session.commit()
    counted = {
        chain: (n, last)
        for chain, n, last in db.session.execute(
            select(AccessLogEntry.chain, func.count(), func.max(AccessLogEntry.id)).group_by(
                AccessLogEntry.chain
            )
        )
    }
    heads = checkpoints.current_leaves()
    assert {c: (leaf.length, leaf.last_id) for c, leaf in heads.items()} == counted
    for leaf in heads.values():
        assert db.session.get(AccessLogEntry, leaf.last_id).row_hash == leaf.head


def test_an_edited_row_is_caught_even_with_the_chain_recomputed(app, rows):
    assert _cli(app, "checkpoint").exit_code == 0
    _tamper("access_log", "UPDATE access_log SET outcome = 'denied' WHERE id = :id",
            {"id": rows[1].id})  # fmt: skip
    result = _cli(app, "verify")
    assert result.exit_code == 1 and f"row {rows[1].id}: contents do not match" in result.output
    # The attacker recomputes every later hash: the chain is consistent again…
    prev = rows[0].row_hash
    for entry in db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.id >= rows[1].id).order_by(AccessLogEntry.id)
    ).all():
        new = chain.row_hash(prev, chain.fields_of(entry))
        _tamper("access_log", "UPDATE access_log SET prev_hash = :p, row_hash = :h WHERE id = :id",
                {"p": prev, "h": new, "id": entry.id})  # fmt: skip
        prev = new
    assert services.verify_chain().ok
    # …but not with the signed head.
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert f"row {rows[3].id}: does not match signed checkpoint" in result.output


def test_a_checkpoint_deleted_from_the_database_is_caught(app, rows):
    assert _cli(app, "checkpoint").exit_code == 0
    seq = db.session.scalar(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq.desc()))
    _tamper("audit_checkpoints", "DELETE FROM audit_checkpoints WHERE seq = :s", {"s": seq})
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert f"checkpoint {seq} is in the directory but missing from the database" in result.output


def test_a_checkpoint_file_deleted_is_caught(app, rows):
    assert _cli(app, "checkpoint").exit_code == 0
    (path,) = checkpoints.directory().glob("checkpoint-*.json")
    path.unlink()
    result = _cli(app, "verify")
    assert result.exit_code == 1 and "missing from the directory" in result.output


def test_a_checkpoint_deleted_from_both_stores_leaves_a_gap(app, rows):
    assert _cli(app, "checkpoint").exit_code == 0
    rows[-1]()
    assert _cli(app, "checkpoint").exit_code == 0
    first = db.session.scalar(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq))
    _tamper("audit_checkpoints", "DELETE FROM audit_checkpoints WHERE seq = :s", {"s": first})
    (checkpoints.directory() / f"checkpoint-{first:08d}.json").unlink()
    result = _cli(app, "verify")
    assert result.exit_code == 1 and f"checkpoint {first} is missing" in result.output


def test_a_forged_checkpoint_is_caught(app, rows):
    """An attacker who cut the log writes a checkpoint of the shorter chain: without the
    platform's key its signature does not verify; with the numbers edited, neither."""
    _tamper("access_log", "DELETE FROM access_log WHERE id >= :id", {"id": rows[2].id})
    leaf = chain.Leaf(rows[0].enterprise_id, 2, rows[1].id, rows[1].row_hash)
    forged = chain.sign(
        chain.Statement(1, "2026-12-05T00:00:00+00:00", 2, chain.merkle_root([leaf]),
                        chain.GENESIS_HASH, 1),
        Ed25519PrivateKey.generate(),
        [leaf],
    )  # fmt: skip
    db.session.add(
        AuditCheckpoint(
            seq=1, version=2, at=forged.statement.at, length=2, chains=1, last_id=None,
            head=forged.statement.root, previous=chain.GENESIS_HASH, key_id=forged.key_id,
            signature=forged.signature,
        )
    )  # fmt: skip
    db.session.add(AuditCheckpointLeaf(seq=1, chain=leaf.chain, length=2, last_id=leaf.last_id,
                                       head=leaf.head))  # fmt: skip
    db.session.flush()
    checkpoints.directory().mkdir(parents=True, exist_ok=True)
    (checkpoints.directory() / "checkpoint-00000001.json").write_text(forged.to_json())
    result = _cli(app, "verify")
    assert result.exit_code == 1 and "checkpoint 1 (database): bad signature" in result.output


def test_an_edited_checkpoint_is_caught(app, rows):
    assert _cli(app, "checkpoint").exit_code == 0
    _tamper("audit_checkpoints", "UPDATE audit_checkpoints SET length = length - 1")
    result = _cli(app, "verify")
    assert result.exit_code == 1 and "bad signature" in result.output


def test_checkpoints_are_append_only_in_the_database(app, rows):
    assert _cli(app, "checkpoint").exit_code == 0
    for statement in ("UPDATE audit_checkpoints SET length = 0", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement))


def _offline(log, folder, key) -> subprocess.CompletedProcess:
    """The documented command, in its own process: no database, no application."""
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_verify.py"), str(log), str(folder), str(key)],
        capture_output=True, text=True, cwd=ROOT, check=False,
        env={k: v for k, v in os.environ.items() if "DATABASE_URL" not in k},
    )  # fmt: skip


def test_offline_verification_of_an_export(app, rows, tmp_path):
    assert _cli(app, "checkpoint").exit_code == 0
    export = _cli(app, "export")
    assert export.exit_code == 0
    log = tmp_path / "access-log.jsonl"
    log.write_text(export.output, encoding="utf-8")
    key = tmp_path / "audit-public.pem"
    key.write_text(_cli(app, "public-key").output)
    folder = checkpoints.directory()
    done = _offline(log, folder, key)
    assert done.returncode == 0, done.stderr
    assert "match signed checkpoint" in done.stdout

    lines = log.read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[-2])
    edited["outcome"] = "denied"
    log.write_text("\n".join([*lines[:-2], json.dumps(edited), lines[-1]]), encoding="utf-8")
    done = _offline(log, folder, key)
    assert done.returncode == 1 and f"row {edited['id']}: contents do not match" in done.stderr

    log.write_text("\n".join(lines[:-1]), encoding="utf-8")  # the newest row cut off
    done = _offline(log, folder, key)
    assert done.returncode == 1 and "the log was cut" in done.stderr

    log.write_text("\n".join(lines), encoding="utf-8")
    other = tmp_path / "other.pem"
    other.write_bytes(chain.public_pem(Ed25519PrivateKey.generate().public_key()))
    done = _offline(log, folder, other)
    assert done.returncode == 1 and "bad signature" in done.stderr


def test_development_generates_the_key_and_production_refuses_to(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY_FILE", None)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    key = checkpoints.signing_key()
    path = tmp_path / "audit-signing-key.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert chain.key_id(checkpoints.signing_key().public_key()) == chain.key_id(key.public_key())
    path.unlink()
    monkeypatch.setitem(app.config, "AUDIT_GENERATE_KEY", False)
    with pytest.raises(RuntimeError, match="AUDIT_SIGNING_KEY_FILE"):
        checkpoints.signing_key()


def test_an_edited_leaf_is_caught(app, rows):
    """The leaves are not what is signed, the tree head is: a leaf changed in both stores to
    fit a cut chain no longer gives the signed head."""
    assert _cli(app, "checkpoint").exit_code == 0
    _tamper("access_log", "DELETE FROM access_log WHERE id >= :id", {"id": rows[2].id})
    _tamper("audit_checkpoint_leaves", "UPDATE audit_checkpoint_leaves SET length = 2, "
            "last_id = :i, head = :h", {"i": rows[1].id, "h": rows[1].row_hash})  # fmt: skip
    (path,) = checkpoints.directory().glob("checkpoint-*.json")
    data = json.loads(path.read_text())
    data["changed"] = [[rows[0].enterprise_id, 2, rows[1].id, rows[1].row_hash]]
    path.chmod(0o644)
    path.write_text(json.dumps(data))
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert "its leaves do not give its signed tree head" in result.output


def test_each_enterprise_has_its_own_chain(app, factories):
    officer = factories.user(Role.BANK_OFFICER)
    a, b = factories.enterprise(), factories.enterprise()

    def append(enterprise):
        return services.append(
            user_id=officer.id, bank_id=officer.bank_id, enterprise_id=enterprise.id,
            endpoint="/t", channel="api", outcome="allowed",
        )  # fmt: skip

    a1, b1, a2, b2 = append(a), append(b), append(a), append(b)
    assert (a1.prev_hash, b1.prev_hash) == (chain.GENESIS_HASH, chain.GENESIS_HASH)
    assert (a2.prev_hash, b2.prev_hash) == (a1.row_hash, b1.row_hash)
    assert _cli(app, "checkpoint").exit_code == 0
    append(a)  # a grows; b is cut
    _tamper("access_log", "DELETE FROM access_log WHERE id = :id", {"id": b2.id})
    # The next checkpoint signs a's new leaf and keeps b's signed one (b's head did not
    # move: a checkpoint reads heads and walks only the chains that grew); verify walks all.
    assert _cli(app, "checkpoint").exit_code == 0
    leaves, _seq = checkpoints.signed_leaves()
    assert (leaves[a.id].length, leaves[b.id].length) == (3, 2)
    result = _cli(app, "verify")
    assert (
        result.exit_code == 1 and f"chain {b.id} lacks the rows after row {b1.id}" in result.output
    )


@pytest.mark.parametrize("size", range(1, 18))
def test_merkle_inclusion_proofs(size):
    leaves = [chain.Leaf(i * 7, i + 1, i * 10, f"{i:064x}") for i in range(size)]
    root = chain.merkle_root(leaves)
    for index, leaf in enumerate(sorted(leaves)):
        path = chain.inclusion_proof(leaves, leaf.chain)
        assert chain.root_from_proof(leaf, index, size, path) == root
        forged = chain.Leaf(leaf.chain, leaf.length - 1, leaf.last_id, leaf.head)
        assert chain.root_from_proof(forged, index, size, path) != root


def test_an_enterprise_verifies_its_own_chain_offline(app, factories, login_as, tmp_path):
    """The enterprise downloads its chain with the latest checkpoint and the audit path of
    its leaf, and the documented command verifies it with the published key; a row removed
    from the download, a forged leaf or another key are refused."""
    client, owner = login_as(Role.ENTERPRISE)
    other = factories.enterprise()
    officer = factories.user(Role.BANK_OFFICER)
    for enterprise in (owner.enterprise, other, owner.enterprise, other, owner.enterprise):
        services.append(
            user_id=officer.id, bank_id=officer.bank_id, enterprise_id=enterprise.id,
            endpoint="/t", channel="api", outcome="allowed",
        )  # fmt: skip
    db.session.commit()
    assert _cli(app, "checkpoint").exit_code == 0
    page = client.get("/enterprise/access-log").get_data(as_text=True)
    assert 'id="own-chain"' in page
    response = client.get("/enterprise/access-log/chain.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    bundle = response.get_json()
    assert bundle["chain"] == owner.enterprise_id and len(bundle["rows"]) == 3
    assert {row["enterprise_id"] for row in bundle["rows"]} == {owner.enterprise_id}
    path = tmp_path / "access-log-chain.json"
    key = tmp_path / "audit-public.pem"
    key.write_text(_cli(app, "public-key").output)

    def run(data, public=key):
        path.write_text(json.dumps(data), encoding="utf-8")
        return subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "audit_verify.py"), "--enterprise",
             str(path), str(public)],
            capture_output=True, text=True, cwd=ROOT, check=False,
            env={k: v for k, v in os.environ.items() if "DATABASE_URL" not in k},
        )  # fmt: skip

    done = run(bundle)
    assert done.returncode == 0, done.stderr
    assert "ok: 3 rows of chain" in done.stdout and "match signed checkpoint" in done.stdout
    cut = run({**bundle, "rows": bundle["rows"][:2]})
    assert cut.returncode == 1 and "the log was cut" in cut.stderr
    forged = run({**bundle, "leaf": [owner.enterprise_id, 2, *bundle["leaf"][2:]]})
    assert forged.returncode == 1 and "do not give checkpoint" in forged.stderr
    other_key = tmp_path / "other.pem"
    other_key.write_bytes(chain.public_pem(Ed25519PrivateKey.generate().public_key()))
    assert run(bundle, other_key).returncode == 1
