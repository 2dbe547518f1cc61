# /etc/cron.d/reminders — the heartbeat, installed by the Debian package (crontab.example's
# line in /etc/cron.d form: the sixth field is the user). `reminders run` does what is due —
# the send window's import and first reminders, each retry window — in each site's own time
# zone, whatever this server's zone (Debian's cron ignores CRON_TZ). It prints nothing when
# nothing was due, so cron mails only news: a short account after each window, and the reason
# when a window failed or was refused (unconfigured: once a day). Until the Twilio settings are
# in /etc/reminders/reminders.toml it contacts nobody.
#
# Cron mails the reminders user's local mailbox unless MAILTO names someone; mail needs a mail
# transfer agent (e.g. exim4-daemon-light, or msmtp-mta as a relay). Uncomment and set:
#MAILTO=ops@clinic.example
SHELL=/bin/sh
PATH=/usr/bin:/bin
*/5 * * * * reminders cd /var/lib/reminders && reminders run
