#!/usr/bin/env bash
# Runs test passes side by side, one per core (PASS_JOBS, default nproc), and prints their
# outputs in the order given: a passed one's last line, a failed one's whole output. Exits 1
# if any failed. One pass a line on stdin: its name, a tab, the shell command.
#   printf 'SQLite\tpytest -q\n' | scripts/passes.sh
# Each pass writes only its own temporary files (SQLite in pytest's tmp dir, no .pytest_cache),
# so that passes on different databases do not meet.
set -uo pipefail
JOBS="${PASS_JOBS:-$(nproc)}"
LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT

names=()
n=0
while IFS=$'\t' read -r name command; do
  [ -z "$name" ] && continue
  names+=("$name")
  printf '%s\n' "$command" > "$LOGS/$n.cmd"
  n=$((n + 1))
done

started=$(date +%s)
# shellcheck disable=SC2016 - expanded by the inner shell
seq 0 $((n - 1)) | xargs -P "$JOBS" -I{} bash -c \
  'start=$(date +%s); bash "$0/{}.cmd" > "$0/{}.log" 2>&1; echo "$? $(( $(date +%s) - start ))" > "$0/{}.rc"' \
  "$LOGS"

failed=0
for i in $(seq 0 $((n - 1))); do
  read -r rc seconds < "$LOGS/$i.rc"
  if [ "$rc" = 0 ]; then
    echo "== ${names[$i]} (${seconds} s): $(tail -1 "$LOGS/$i.log")"
  else
    echo "== ${names[$i]} FAILED (${seconds} s):"
    cat "$LOGS/$i.log"
    failed=1
  fi
done
echo "== $n passes, $JOBS at a time, in $(( $(date +%s) - started )) s"
exit $failed
