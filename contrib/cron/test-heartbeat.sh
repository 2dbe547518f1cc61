#!/usr/bin/env bash
# The heartbeat line of crontab.example, run by Debian's own cron daemon (cron 3.0pl1, the one
# that ignores CRON_TZ), as the user that owns the data folder: proof that cron reaches
# `reminders run` there, as that user, with the configuration in the folder.
#
# It makes a throwaway user and data folder, installs the line (every minute instead of every
# five, so the test takes a minute or two) in that user's crontab, starts cron if it is not
# running, and waits for `run` to record what it did: with no Twilio credentials configured,
# the send window's refusal, recorded in the folder's database, owned by that user.
#
# Needs root and Debian's cron (`apt-get install cron`). Usage: contrib/cron/test-heartbeat.sh
# [path/to/reminders] (default: target/release/reminders, built if missing). Cleans up after
# itself; exits non-zero when cron did not run it.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(id -u)" = 0 ] || { echo "needs root (it makes a user and starts cron)" >&2; exit 2; }
command -v cron >/dev/null || { echo "Debian's cron is not installed: apt-get install cron" >&2; exit 2; }

bin=${1:-target/release/reminders}
[ -x "$bin" ] || cargo build --release --locked
user=reminders-crontest
data=$(mktemp -d /tmp/reminders-cron.XXXXXX)
started_cron=
cleanup() {
    crontab -u "$user" -r 2>/dev/null || true
    [ -n "$started_cron" ] && kill "$started_cron" 2>/dev/null || true
    userdel "$user" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT

id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
install -m 0755 "$bin" "$data/reminders"
mkdir -p "$data/csv"
# The server is kept in UTC (as cloud servers are); the clinic's send window is the coming
# minute in Toronto: whichever minute cron fires in, `run` finds the window due.
window=$(TZ=America/Toronto date -d '+1 minute' +%H:%M)
cat >"$data/reminders.toml" <<EOF
timezone = "America/Toronto"
[schedule]
send = "$window"
retry = []
[sending]
quiet_hours = "00:00-23:59"
EOF
printf 'appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\nA1,P1,416-555-0101,y,n,%s 10:00\n' \
    "$(TZ=America/Toronto date -d '+2 days' +%F)" >"$data/csv/day.csv"
touch -d '-2 minutes' "$data/csv/day.csv"
chown -R "$user:$user" "$data"
chmod 0700 "$data"
chmod 0600 "$data/reminders.toml"

# The line from crontab.example, every minute, with the folder of this test.
line=$(grep -E '^\*/5 \* \* \* \* cd ' crontab.example)
line=${line/\*\/5/\*}
line=${line//\/var\/lib\/reminders/$data}
printf 'PATH=%s:/usr/bin:/bin\nMAILTO=""\n%s\n' "$data" "$line" | crontab -u "$user" -
echo "crontab of $user:"
crontab -u "$user" -l | sed 's/^/  /'

if ! pgrep -x cron >/dev/null; then
    cron -f -L 15 &
    started_cron=$!
fi

echo "waiting for cron to run it (send window $window in Toronto, server zone: $(date +%Z))"
for _ in $(seq 1 150); do
    if [ -f "$data/reminders.db" ] &&
        [ "$(sqlite3 "$data/reminders.db" "SELECT count(*) FROM runs WHERE window = 'send $window'" 2>/dev/null || echo 0)" -gt 0 ]; then
        break
    fi
    sleep 1
done
[ -f "$data/reminders.db" ] || { echo "FAIL: cron never ran \`reminders run\` (no database)" >&2; exit 1; }
owner=$(stat -c %U "$data/reminders.db")
run=$(sqlite3 "$data/reminders.db" "SELECT kind, window, window_date, outcome, substr(error, 1, 60) FROM runs")
imported=$(sqlite3 "$data/reminders.db" "SELECT count(*) FROM appointments")
echo "runs: $run"
echo "appointments imported: $imported; database owned by: $owner"
[ "$owner" = "$user" ] || { echo "FAIL: the database belongs to $owner, not $user" >&2; exit 1; }
[ "$imported" = 1 ] || { echo "FAIL: the send window did not import the drop folder" >&2; exit 1; }
case "$run" in
*"send $window"*refused*TWILIO_ACCOUNT_SID*) echo "ok: Debian's cron ran \`reminders run\` as $user at the Toronto window" ;;
*) echo "FAIL: no refused send window recorded" >&2; exit 1 ;;
esac
