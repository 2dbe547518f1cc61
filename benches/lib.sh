# Sourced by the shell benchmarks: the repository ($repo), a temporary folder removed on exit
# ($work), a release build of `reminders` ($bin; CARGO_TARGET_DIR is honoured), and the
# figures of a `/usr/bin/time -v` file.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== building (release)"
(cd "$repo" && cargo build --release --locked --quiet)
bin="$target/release/reminders"

# Wall seconds, CPU seconds and peak RSS in kB, from /usr/bin/time -v's file $1.
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$1"; }
cpu() { awk -F': ' '/(User|System) time/ {s+=$2} END {print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
