"""Verify an export of the access log against signed checkpoints, without the database.

    flask --app wsgi audit export -o access-log.jsonl
    flask --app wsgi audit public-key > audit-public.pem
    python scripts/audit_verify.py access-log.jsonl instance/audit-checkpoints audit-public.pem

An enterprise verifies its own chain (downloaded from 查询记录 → 下载哈希链) the same way:

    python scripts/audit_verify.py --enterprise access-log-chain.json audit-public.pem

Exit 0: every row links to the one before it in its chain and hashes to its row_hash, the
checkpoints in the directory are signed by that key, numbered without gaps, each linked to
the one before, their leaves give their signed Merkle tree heads, and every chain matches
its leaf in the latest one. Exit 1 naming the first bad or missing row or checkpoint. The
same functions (`app.audit.chain`) verify the live database in `flask audit verify`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.audit.chain import Signed, check_checkpoints, load_public_key, verify_bundle, walk


def _rows(path: Path):
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield SimpleNamespace(**json.loads(line))


def _enterprise(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Verify an enterprise's own chain download.")
    parser.add_argument("bundle", type=Path, help="access-log-chain.json from the platform")
    parser.add_argument("public_key", type=Path, help="the platform's published public key")
    args = parser.parse_args(argv)
    bundle = json.loads(args.bundle.read_text(encoding="utf-8"))
    result = verify_bundle(bundle, load_public_key(args.public_key.read_bytes()))
    if not result.ok:
        print(f"BROKEN after {result.rows} rows: {result.message}", file=sys.stderr)
        return 1
    print(f"ok: {result.rows} rows of chain {bundle['chain']}, {result.message}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--enterprise"]:
        return _enterprise(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="JSON lines from `flask audit export`")
    parser.add_argument("checkpoints", type=Path, help="the checkpoint directory")
    parser.add_argument("public_key", type=Path, help="PEM from `flask audit public-key`")
    args = parser.parse_args(argv)
    key = load_public_key(args.public_key.read_bytes())
    signed = [
        Signed.from_json(p.read_text(encoding="utf-8"))
        for p in sorted(args.checkpoints.glob("checkpoint-*.json"))
    ]
    heads, problem = check_checkpoints(signed, signed, key)
    if problem:
        print(f"BROKEN: {problem}", file=sys.stderr)
        return 1
    result = walk(_rows(args.log), heads)
    if not result.ok:
        print(f"BROKEN after {result.rows} rows: {result.message}", file=sys.stderr)
        return 1
    print(f"ok: {result.rows} rows in {len(result.heads or {})} chains, {result.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
