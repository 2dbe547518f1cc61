#!/bin/sh
# Prints the Debian package's /etc/reminders/reminders.toml: reminders.toml.example (the file
# named, or the repository's) with its own header, the data folder's absolute paths, and nothing
# else changed, so the two never drift apart. Credentials stay empty: an installed, unconfigured
# package contacts nobody. Fails, printing nothing, when the example no longer has the lines it
# rewrites.
set -eu

example=${1:-$(dirname "$0")/../../reminders.toml.example}
data=/var/lib/reminders

body=$(sed -e '1,/^$/d' \
    -e "s|^db = \"reminders.db\" *#|db = \"$data/reminders.db\"  #|" \
    -e "s|^csv_dir = \"csv\" *#|csv_dir = \"$data/csv\"  #|" \
    -e "s|^archive_dir = \"archive\" *#|archive_dir = \"$data/archive\"  #|" \
    -e "s|^outbox_dir = \"outbox\" *#|outbox_dir = \"$data/outbox\"  #|" \
    "$example")

for key in db csv_dir archive_dir outbox_dir; do
    if [ "$(printf '%s\n' "$body" | grep -c "^$key = \"$data/")" != 1 ]; then
        echo "make-config.sh: $example has no default \`$key\` line to rewrite" >&2
        exit 1
    fi
done

cat <<HEADER
# /etc/reminders/reminders.toml — installed by the Debian package, from reminders.toml.example:
# every key, with its default. Every command reads this file when neither --config nor
# \$REMINDERS_CONFIG names one and there is no ./reminders.toml in the folder it runs in; cron's
# \`reminders run\`, the reminders-webhook service and \`sudo -u reminders reminders …\` all do.
# Precedence: flags > environment variables (named beside each key) > this file > defaults.
#
# Nobody is contacted until [twilio] (account_sid, auth_token, phone_number) and
# webhook.public_url are filled in; then run \`sudo -u reminders reminders check\`.
# The auth token is a secret: keep this file 0600 and owned by reminders (as installed).
# The data (database, drop folder, archive, outbox) lives in $data. Write any
# other path (templates) absolute too: a relative one depends on where a command was started.

HEADER
printf '%s\n' "$body"
