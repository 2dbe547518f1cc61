#!/usr/bin/env bash
# Import benchmark (not a test): `reminders import` of N generated rows (default 1,000,000)
# beside `sqlite3 .import` of the same file, on the same machine in the same run, both under
# /usr/bin/time -v for wall time and peak RSS. The two alternate PAIRS times (default 5) on
# one generated file, each into a fresh database, and the ratio is taken pair by pair: on a
# shared machine the speed drifts within a minute (sqlite3 alone measured 1.6-2.7 s the same
# hour), so one pair decides little; the median of the pairs' ratios is the figure.
#
# Usage: benches/import.sh [ROWS] [plain|mapped] [PAIRS]     (CARGO_TARGET_DIR is honoured)
#   plain  (default): the plain format's columns under their own names, comma-separated, ISO times.
#   mapped: an Open Dental-style tab-separated export with split date/time columns and a phone
#           list, read through benches/mapped.toml's [csv.columns].
set -euo pipefail

rows="${1:-1000000}"
mode="${2:-plain}"
pairs="${3:-5}"
case "$mode" in
    plain) gen_flag=""; sqlite_mode="csv"
        sqlite_table="CREATE TABLE t(appointment_id TEXT, patient_id TEXT, phone_number TEXT, phone_preference TEXT, text_preference TEXT, appt_date_time TEXT, appointment_msg TEXT, language TEXT);" ;;
    mapped) gen_flag="--mapped"; sqlite_mode="tabs"
        sqlite_table="CREATE TABLE t(AptNum TEXT, PatNum TEXT, LName TEXT, FName TEXT, AptDate TEXT, AptTime TEXT, HmPhone TEXT, WkPhone TEXT, WirelessPhone TEXT, TxtMsgOk TEXT, Language TEXT, Note TEXT);" ;;
    *) echo "mode must be plain or mapped" >&2; exit 2 ;;
esac
source "$(dirname "$0")/lib.sh"

echo "== generating $rows rows ($mode)"
python3 "$repo/benches/gen_csv.py" "$rows" "$work/bench.csv" $gen_flag
ls -l "$work/bench.csv" | awk '{print "   " $5 " bytes"}'

pair() {
    local n="$1" app="$work/app$1"
    mkdir -p "$app/csv" "$app/archive"
    cp "$work/bench.csv" "$app/csv/bench.csv"
    if [ "$mode" = mapped ]; then cp "$repo/benches/mapped.toml" "$app/reminders.toml"; fi
    # The import leaves a file modified in the last few seconds for the next run.
    touch -d '-1 minute' "$app/csv/bench.csv"
    # The file (and its copy) reach the disk before anything is timed: otherwise their
    # writeback competed with the import's own writes (0.5-0.8 s of a mapped import).
    sync
    (
        cd "$app"
        REMINDERS_NOW=2026-11-24T19:00:00-05:00 \
        REMINDERS_DB="$app/reminders.db" \
        REMINDERS_CSV_DIR="$app/csv" \
        REMINDERS_ARCHIVE_DIR="$app/archive" \
            /usr/bin/time -v -o "$work/app$n.time" "$bin" import >/dev/null 2>"$work/app$n.err"
    )
    sqlite3 "$app/reminders.db" \
        "SELECT '   imports: processed=' || processed_rows || ' successful=' || successful_rows || ' duplicates=' || duplicate_rows || ' failed=' || failed_rows FROM imports"
    sync
    /usr/bin/time -v -o "$work/sqlite$n.time" sqlite3 "$work/plain$n.db" \
        "$sqlite_table" \
        ".mode $sqlite_mode" \
        ".import --skip 1 $work/bench.csv t"
    sqlite3 "$work/plain$n.db" "SELECT '   sqlite3 rows: ' || count(*) FROM t"
    rm -rf "$app" "$work/plain$n.db"
}

for n in $(seq 1 "$pairs"); do
    echo "== pair $n of $pairs"
    pair "$n"
    printf '%s %s %s %s\n' "$(wall "$work/app$n.time")" "$(rss "$work/app$n.time")" \
        "$(wall "$work/sqlite$n.time")" "$(rss "$work/sqlite$n.time")" >> "$work/figures"
done

echo
echo "== results ($rows rows, $mode, $pairs pairs)"
awk -v n="$rows" '
    { a[NR] = $1; ak[NR] = $2; s[NR] = $3; r[NR] = $1 / $3
      printf "pair %d: reminders import %6.2f s (%6.1f MB)  sqlite3 .import %6.2f s  ratio %5.2fx\n", NR, $1, $2 / 1024, $3, $1 / $3
      if ($2 > maxk) maxk = $2 }
    END {
        # The median ratio, by an insertion sort of the few pairs.
        for (i = 1; i <= NR; i++) for (j = i; j > 1 && r[j-1] > r[j]; j--) { t = r[j]; r[j] = r[j-1]; r[j-1] = t }
        m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
        printf "median ratio     : %5.2fx sqlite3 time (target <= 3x); range %.2fx-%.2fx\n", m, r[1], r[NR]
        printf "peak RSS         : %6.1f MB (target <= 64 MB)\n", maxk / 1024
    }' "$work/figures"
