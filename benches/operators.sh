#!/usr/bin/env bash
# Where operators wait (not a test): every `status` view, `status --check`, `export` of the
# coming day and `report` of 30 days, on a database of N generated rows (default 1,000,000:
# 975,000 appointments stored, 195,000 of them on the coming day 2026-11-25), each under
# /usr/bin/time for wall time and peak RSS. Targets (issue 15): under 200 ms (the report under
# 500 ms) and under 64 MB.
#
# The database is made by the real `reminders import` of benches/gen_csv.py's file, as of
# 2026-11-24 19:00 (Toronto); the commands run as of 19:30 that evening.
#
# Usage: [KEEP_DB=path] benches/operators.sh [ROWS] [RUNS]
#        (CARGO_TARGET_DIR is honoured; KEEP_DB keeps the database there and reuses it)
set -euo pipefail

rows="${1:-1000000}"
runs="${2:-3}"
source "$(dirname "$0")/lib.sh"

db="${KEEP_DB:-$work/reminders.db}"
if [ ! -s "$db" ]; then
    echo "== generating and importing $rows rows"
    python3 "$repo/benches/gen_csv.py" "$rows" "$work/bench.csv"
    REMINDERS_NOW=2026-11-24T19:00:00-05:00 REMINDERS_DB="$db" \
        REMINDERS_ARCHIVE_DIR="$work/archive" "$bin" import "$work/bench.csv" >/dev/null 2>&1
    # The import's 355 MB reach the disk before anything is timed: their writeback competed
    # with the first commands (an export measured 0.19-0.22 s right after, 0.14-0.16 s later).
    sync
fi
sqlite3 "$db" "SELECT 'appointments: ' || count(*) || ', on 2026-11-25: ' ||
                   sum(appt_date_time >= '2026-11-25T05:00:00Z' AND appt_date_time < '2026-11-26T05:00:00Z')
               FROM appointments;
               SELECT 'page size: ' || page_size FROM pragma_page_size;"

export REMINDERS_DB="$db" REMINDERS_OUTBOX_DIR="$work/outbox" REMINDERS_NOW=2026-11-24T19:30:00-05:00
time_it() {
    local figures=()
    for _ in $(seq 1 "$runs"); do
        # `status --check` exits 1 when it lists something to act on: a figure all the same.
        /usr/bin/time -f "%e s %M" -o "$work/time" "$bin" "$@" >/dev/null 2>&1 || true
        # The last line: time puts "Command exited with non-zero status" above it.
        figures+=("$(awk 'END {printf "%s s %.1f MB", $1, $3 / 1024}' "$work/time")")
    done
    printf '%-40s %s\n' "${*//$work\//}" "$(IFS=','; echo "${figures[*]}" | sed 's/,/  |  /g')"
}
echo "== $runs runs each (wall, peak RSS), load $(cut -d' ' -f1 /proc/loadavg)"
time_it status
time_it status --check
time_it status appointments --limit 20
time_it status logs --limit 20
time_it status imports
time_it status runs
time_it status failed-rows --import 1
time_it export --date 2026-11-25
time_it export --date 2026-11-25 --out -
time_it report --to 2026-11-29 --out "$work/report.html"
time_it report --to 2026-11-29 --json --out "$work/report.json"
