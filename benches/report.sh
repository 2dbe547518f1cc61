#!/usr/bin/env bash
# Report benchmark (not a test): `reminders report` of the last 30 days on a database of N
# generated appointments (default 1,000,000) with their reminder history, under
# /usr/bin/time -v for wall time, CPU time and peak RSS (target: under 500 ms and 64 MB).
#
# The appointments come from benches/gen_csv.py through the real `reminders import`.
# gen_csv.py puts them all on 25–29 Nov 2026; SPREAD_DAYS (default 365) spreads them, in the
# order they were imported, over that many days ending 29 Nov, as a year of evening imports
# would have stored them (SPREAD_DAYS=0 keeps the five days: every appointment is then in the
# report's period). benches/report_history.sql then gives each one an outcome and its attempts
# (about 1.6 per appointment). The report runs as of 28 Nov 2026 20:00 (Toronto): the last 30
# days, and the hand-call list of the 29th; with SPREAD_DAYS=0, as of 30 Nov 18:00, so that
# the period holds all five days (and nothing is left to come).
#
# Usage: [SPREAD_DAYS=N] [KEEP_DB=path] benches/report.sh [ROWS] [RUNS]
#        (CARGO_TARGET_DIR is honoured; KEEP_DB keeps the database there and reuses it)
set -euo pipefail

rows="${1:-1000000}"
runs="${2:-5}"
source "$(dirname "$0")/lib.sh"

spread="${SPREAD_DAYS:-365}"
now=2026-11-28T20:00:00-05:00
[ "$spread" -gt 0 ] || now=2026-11-30T18:00:00-05:00
cd "$work"
db="${KEEP_DB:-$work/reminders.db}"
if [ ! -s "$db" ]; then
    echo "== generating and importing $rows rows"
    python3 "$repo/benches/gen_csv.py" "$rows" "$work/bench.csv"
    REMINDERS_NOW=2026-11-24T12:00:00-05:00 REMINDERS_DB="$db" \
        REMINDERS_ARCHIVE_DIR="$work/archive" "$bin" import "$work/bench.csv" >/dev/null
    if [ "$spread" -gt 0 ]; then
        echo "== spreading the appointments over $spread days"
        sqlite3 "$db" "UPDATE appointments SET appt_date_time =
            date('2026-11-29', '-$((spread - 1)) days',
                 '+' || ((id - 1) * $spread / (SELECT max(id) FROM appointments)) || ' days')
            || substr(appt_date_time, 11);"
    fi
    echo "== adding the history"
    sqlite3 "$db" < "$repo/benches/report_history.sql"
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
fi
sqlite3 "$db" "SELECT 'appointments: ' || count(*) || ', ' || min(appt_date_time) || ' to ' || max(appt_date_time) FROM appointments;
               SELECT 'attempts: ' || count(*) FROM appointment_logs;"
ls -l "$db" | awk '{print "database: " $5 " bytes"}'


for what in html json; do
    for i in $(seq 1 "$runs"); do
        args=(report --out "$work/report.$what")
        [ "$what" = json ] && args+=(--json)
        REMINDERS_NOW="$now" REMINDERS_DB="$db" \
            /usr/bin/time -v -o "$work/time" "$bin" "${args[@]}" >"$work/out"
        awk -v w="$(wall "$work/time")" -v c="$(cpu "$work/time")" -v k="$(rss "$work/time")" \
            -v what="$what" -v i="$i" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
            'BEGIN { printf "report (%s) run %d: %6.3f s wall  %6.3f s CPU  peak RSS %5.1f MB  (load %s)\n", what, i, w, c, k / 1024, load }'
    done
done
echo "last headline: $(cat "$work/out")"
