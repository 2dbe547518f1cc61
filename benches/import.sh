#!/usr/bin/env bash
# Import benchmark (not a test): `reminders import` of N generated rows (default 1,000,000)
# beside `sqlite3 .import` of the same file, on the same machine in the same run, both under
# /usr/bin/time -v for wall time and peak RSS.
#
# Usage: benches/import.sh [ROWS] [plain|mapped]     (CARGO_TARGET_DIR is honoured)
#   plain  (default): the plain format's columns under their own names, comma-separated, ISO times.
#   mapped: an Open Dental-style tab-separated export with split date/time columns and a phone
#           list, read through benches/mapped.toml's [csv.columns].
set -euo pipefail

rows="${1:-1000000}"
mode="${2:-plain}"
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


echo "== reminders import"
mkdir -p "$work/app/csv" "$work/app/archive"
cp "$work/bench.csv" "$work/app/csv/bench.csv"
if [ "$mode" = mapped ]; then cp "$repo/benches/mapped.toml" "$work/app/reminders.toml"; fi
# The import leaves a file modified in the last few seconds for the next run.
touch -d '-1 minute' "$work/app/csv/bench.csv"
# The generated file (and its copy) reach the disk before anything is timed: otherwise their
# writeback competed with the import's own writes (0.5-0.8 s of a mapped import).
sync
(
    cd "$work/app"
    REMINDERS_NOW=2026-11-24T19:00:00-05:00 \
    REMINDERS_DB="$work/app/reminders.db" \
    REMINDERS_CSV_DIR="$work/app/csv" \
    REMINDERS_ARCHIVE_DIR="$work/app/archive" \
        /usr/bin/time -v -o "$work/app.time" "$bin" import
)
echo
sqlite3 "$work/app/reminders.db" \
    "SELECT 'imports: processed=' || processed_rows || ' successful=' || successful_rows || ' duplicates=' || duplicate_rows || ' failed=' || failed_rows FROM imports"

echo "== sqlite3 .import"
sync
/usr/bin/time -v -o "$work/sqlite.time" sqlite3 "$work/plain.db" \
    "$sqlite_table" \
    ".mode $sqlite_mode" \
    ".import --skip 1 $work/bench.csv t"
sqlite3 "$work/plain.db" "SELECT 'sqlite3 rows: ' || count(*) FROM t"

app_s="$(wall "$work/app.time")"
sql_s="$(wall "$work/sqlite.time")"
app_kb="$(rss "$work/app.time")"
sql_kb="$(rss "$work/sqlite.time")"
echo
echo "== results ($rows rows, $mode)"
awk -v n="$rows" -v a="$app_s" -v s="$sql_s" -v ak="$app_kb" -v sk="$sql_kb" 'BEGIN {
    printf "reminders import : %7.2f s  %9.0f rows/s  peak RSS %6.1f MB\n", a, n / a, ak / 1024
    printf "sqlite3 .import  : %7.2f s  %9.0f rows/s  peak RSS %6.1f MB\n", s, n / s, sk / 1024
    printf "ratio            : %7.2fx sqlite3 time (target <= 3x); RSS target <= 64 MB\n", a / s
}'
