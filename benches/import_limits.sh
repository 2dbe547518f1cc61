#!/usr/bin/env bash
# Import under a memory limit (not a test): `reminders import` of a 50 MB export that is one
# line (no line end at all, a comma every other byte: the worst case for a reader that splits a
# line into fields), then of N generated rows (default 1,000,000, benches/gen_csv.py), each in a
# fresh folder under `ulimit -v` (default 1048576 KiB = 1 GiB) and /usr/bin/time -v: the exit
# code, what the import recorded, peak RSS and time.
#
# Usage: benches/import_limits.sh [ROWS] [LIMIT_KIB]     (CARGO_TARGET_DIR is honoured)
set -euo pipefail

rows="${1:-1000000}"
limit="${2:-1048576}"
source "$(dirname "$0")/lib.sh"

echo "== generating a 50,000,000-byte one-line file and $rows rows"
python3 -c "import sys; open(sys.argv[1], 'w').write('a,' * 25_000_000)" "$work/one-line.csv"
python3 "$repo/benches/gen_csv.py" "$rows" "$work/rows.csv"

import_limited() {
    local name="$1" dir="$work/$1"
    mkdir -p "$dir/csv" "$dir/archive"
    cp "$work/$name.csv" "$dir/csv/$name.csv"
    # The import leaves a file modified in the last few seconds for the next run.
    touch -d '-1 minute' "$dir/csv/$name.csv"
    sync
    local code=0
    (
        cd "$dir"
        ulimit -v "$limit"
        REMINDERS_NOW=2026-11-24T19:00:00-05:00 \
        REMINDERS_DB="$dir/reminders.db" \
        REMINDERS_CSV_DIR="$dir/csv" \
        REMINDERS_ARCHIVE_DIR="$dir/archive" \
            /usr/bin/time -v -o "$dir/time" "$bin" import >"$dir/out" 2>"$dir/err"
    ) || code=$?
    echo "== $name.csv under ulimit -v $limit: exit $code"
    awk -v w="$(wall "$dir/time")" -v c="$(cpu "$dir/time")" -v k="$(rss "$dir/time")" \
        'BEGIN { printf "   wall %.2f s, CPU %.2f s, peak RSS %.1f MB\n", w, c, k / 1024 }'
    local recorded=""
    if [ -f "$dir/reminders.db" ]; then
        recorded="$(sqlite3 "$dir/reminders.db" \
            "SELECT '   recorded: ' || status || ', processed=' || processed_rows || ' successful=' || successful_rows || ' duplicates=' || duplicate_rows || ' failed=' || failed_rows || coalesce(', error: ' || error, '') FROM imports")"
    fi
    echo "${recorded:-   recorded: nothing}"
    echo "   left in the drop folder: $(ls "$dir/csv" | tr '\n' ' ')"
    tail -n 2 "$dir/err" | sed 's/^/   stderr: /'
}

import_limited one-line
import_limited rows
