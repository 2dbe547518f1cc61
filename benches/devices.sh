#!/usr/bin/env bash
# What each speed device earns (not a test). A device is code kept only because it makes an
# operation faster; each has a patch in benches/devices/ that takes it out (its first line names
# the operation it serves, the second says what the patch does). For each patch this builds the
# committed HEAD with the patch applied, in a scratch worktree, and times the operation with and
# without the device, alternately, RUNS times each on the same data:
#   import   `reminders import` of benches/gen_csv.py's 1,000,000-row file into an empty database
#   import-again  the next 1,000,000-row file (other appointment ids) into that database, which
#            holds 975,000 appointments (still a bulk load: the file is as big as the table)
#   import-mapped  the same rows as an Open Dental-style export (tabs, split date and time, a
#            phone list) read through benches/mapped.toml, into an empty database
#   export   `reminders export --date 2026-11-25` (195,000 rows) from that database
#   report   `reminders report --to 2026-11-29` (30 days, 975,000 appointments)
# and checks that both give the same result (the import's counts, the export's file, the
# report's JSON). "Saves" is the time taken without the device minus with it, as a share of the
# time without: the figure a device needs at 10% or more to stay.
#
# Usage: benches/devices.sh [RUNS] [DEVICE...]   (default 3 runs, every patch)
#        CARGO_TARGET_DIR is honoured; the patched builds go to $target/devices.
set -euo pipefail

runs="${1:-3}"
shift || true
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
work="$(mktemp -d)"
tree="$work/tree"
git -C "$repo" worktree add --quiet --detach "$tree" HEAD
trap 'git -C "$repo" worktree remove --force "$tree"; rm -rf "$work"' EXIT

# HEAD as committed, and then HEAD with each patch, built in the scratch worktree.
build() {
    (cd "$tree" && CARGO_TARGET_DIR="$target/devices" cargo build --release --locked --quiet)
    cp "$target/devices/release/reminders" "$work/$1"
}
echo "== building HEAD (release)"
build with

if [ "$#" -gt 0 ]; then
    patches=()
    for d in "$@"; do patches+=("$repo/benches/devices/$d.patch"); done
else
    patches=("$repo"/benches/devices/*.patch)
fi

echo "== generating 1,000,000 rows, and the database the export and the report read"
python3 "$repo/benches/gen_csv.py" 1000000 "$work/bench.csv" >/dev/null
export REMINDERS_NOW=2026-11-24T19:00:00-05:00
REMINDERS_DB="$work/day.db" REMINDERS_ARCHIVE_DIR="$work/archive" \
    "$work/with" import "$work/bench.csv" >/dev/null 2>&1
sed '2,$s/^A/B/' "$work/bench.csv" >"$work/next.csv"
python3 "$repo/benches/gen_csv.py" 1000000 "$work/mapped.csv" --mapped >/dev/null

# Runs operation $1 with binary $2; prints its wall seconds, keeps its result in $work/result.$2.
run_op() {
    local op="$1" which="$2" b="$work/$2"
    case "$op" in
        import*)
            rm -rf "$work/app" && mkdir -p "$work/app/csv" "$work/app/archive"
            case "$op" in
                import) cp "$work/bench.csv" "$work/app/csv/bench.csv" ;;
                import-again)
                    cp "$work/day.db" "$work/app/reminders.db"
                    cp "$work/next.csv" "$work/app/csv/next.csv" ;;
                import-mapped)
                    cp "$repo/benches/mapped.toml" "$work/app/reminders.toml"
                    cp "$work/mapped.csv" "$work/app/csv/mapped.csv" ;;
            esac
            touch -d '-1 minute' "$work/app/csv/"*.csv
            sync
            (cd "$work/app" && REMINDERS_DB=reminders.db REMINDERS_CSV_DIR=csv REMINDERS_ARCHIVE_DIR=archive \
                /usr/bin/time -f %e -o "$work/t" "$b" import >/dev/null 2>&1)
            sqlite3 "$work/app/reminders.db" "SELECT processed_rows, successful_rows, duplicate_rows,
                failed_rows FROM imports ORDER BY id DESC LIMIT 1; SELECT count(*), sum(length(data)) FROM appointments;" \
                >"$work/result.$which" ;;
        export)
            REMINDERS_DB="$work/day.db" /usr/bin/time -f %e -o "$work/t" \
                "$b" export --date 2026-11-25 --out "$work/result.$which" >/dev/null 2>&1 ;;
        report)
            REMINDERS_DB="$work/day.db" REMINDERS_NOW=2026-11-24T19:30:00-05:00 /usr/bin/time -f %e -o "$work/t" \
                "$b" report --to 2026-11-29 --json --out "$work/result.$which" >/dev/null 2>&1 ;;
    esac
    tail -1 "$work/t"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

printf '%-20s %-7s %-26s %-26s %s\n' device operation "with it (s)" "without it (s)" saves
for patch in "${patches[@]}"; do
    name="$(basename "$patch" .patch)"
    git -C "$tree" checkout --quiet -- .
    git -C "$tree" apply "$patch"
    build without
    for op in $(sed -n '1s/^operation: //p' "$patch"); do
        with=() without=()
        for _ in $(seq 1 "$runs"); do
            with+=("$(run_op "$op" with)")
            without+=("$(run_op "$op" without)")
        done
        cmp -s "$work/result.with" "$work/result.without" || echo "!! $name: $op gives another result without the device"
        w="$(echo "${with[*]}" | median)" wo="$(echo "${without[*]}" | median)"
        printf '%-20s %-7s %-26s %-26s %s\n' "$name" "$op" "$w (${with[*]})" "$wo (${without[*]})" \
            "$(awk -v a="$w" -v b="$wo" 'BEGIN {printf "%.0f%%", (b - a) / b * 100}')"
    done
done
echo "(load $(cut -d' ' -f1 /proc/loadavg), $(nproc) cores)"
