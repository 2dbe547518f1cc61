#!/usr/bin/env bash
# The Debian package end to end, on this machine: build it (contrib/deb/build.sh: cargo deb),
# install it with dpkg (twice: the maintainer scripts must be safe to repeat), and check what an
# administrator would — the service user's `reminders check`, an unconfigured heartbeat that
# contacts nobody, `systemd-analyze verify` on the installed unit, `man reminders`, the bash
# completion — then `dpkg -r` keeps /var/lib/reminders and `dpkg -P` deletes it, saying what it
# deleted. Run as root on Debian; missing tools are installed with apt-get. Exits non-zero at
# the first failure, and always purges what it installed.
# shellcheck disable=SC2015 # `A && B || fail`: fail when either fails, which is what is meant
set -euo pipefail
cd "$(dirname "$0")/../.."

PKG=reminders
DATA=/var/lib/reminders
CONF=/etc/reminders/reminders.toml
UNIT=/lib/systemd/system/reminders-webhook.service
checks=0

step() { printf '\n== %s\n' "$*"; }
ok() {
    checks=$((checks + 1))
    printf 'ok: %s\n' "$*"
}
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
# `same WHAT GOT WANT`
same() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
    ok "$1: $2"
}
as_reminders() { (cd / && sudo -u reminders -- "$@"); }

[ "$(id -u)" = 0 ] || fail "run as root: this installs and purges a package"
command -v dpkg >/dev/null && command -v apt-get >/dev/null || fail "needs Debian's dpkg and apt-get"

# The purge at the end deletes /var/lib/reminders and the reminders user: never on a machine
# where they are someone's.
if dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null | grep -qv '^not-installed$'; then
    fail "the $PKG package is on this machine already; this test would purge it and its data"
fi
for there in "$DATA" /etc/reminders; do
    [ ! -e "$there" ] || fail "$there exists already; this test would delete it"
done
! getent passwd reminders >/dev/null || fail "a reminders user exists already; this test would delete it"

installed=
tmp=$(mktemp -d)
cleanup() {
    status=$?
    if [ -n "$installed" ] && dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null |
        grep -qv '^not-installed$'; then
        echo "cleaning up: dpkg --purge $PKG"
        dpkg --purge "$PKG" >/dev/null 2>&1 || echo "cleaning up: the purge failed" >&2
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT

step "tools"
need=()
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v man >/dev/null || need+=(man-db)
command -v sudo >/dev/null || need+=(sudo)
command -v adduser >/dev/null || need+=(adduser)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked
ok "systemd-analyze, man, sudo, adduser, cargo-deb"

step "build: contrib/deb/build.sh"
contrib/deb/build.sh >"$tmp/build.out" 2>"$tmp/build.log" || {
    tail -30 "$tmp/build.log"
    fail "building the package"
}
deb=$(tail -1 "$tmp/build.out")
[ -f "$deb" ] || fail "no .deb at the end of the build's output: $deb"
ok "built $deb"
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' >"$tmp/contents"
for want in \
    "-rwxr-xr-x 0/0 ./usr/bin/reminders" \
    "-rw------- 0/0 ./etc/reminders/reminders.toml" \
    "-rw-r--r-- 0/0 ./etc/cron.d/reminders" \
    "-rw-r--r-- 0/0 .$UNIT" \
    "-rw-r--r-- 0/0 ./usr/share/bash-completion/completions/reminders" \
    "-rw-r--r-- 0/0 ./usr/share/zsh/vendor-completions/_reminders" \
    "-rw-r--r-- 0/0 ./usr/share/fish/vendor_completions.d/reminders.fish" \
    "-rw-r--r-- 0/0 ./usr/share/man/man1/reminders.1.gz"; do
    grep -qxF -- "$want" "$tmp/contents" || fail "the package lacks: $want"
done
ok "the package holds the binary, config, cron.d file, unit, completions and man page"
conffiles=$(dpkg-deb -I "$deb" conffiles)
for f in "$CONF" /etc/cron.d/reminders; do
    grep -qx "$f" <<<"$conffiles" || fail "$f is not a conffile"
done
ok "conffiles: $CONF, /etc/cron.d/reminders"

step "install: dpkg -i (twice)"
installed=yes
dpkg -i "$deb" || fail "dpkg -i"
dpkg -i "$deb" >"$tmp/reinstall.log" 2>&1 || {
    cat "$tmp/reinstall.log"
    fail "dpkg -i a second time"
}
ok "installed, and reinstalled over itself"

step "what the package made"
[ -x /usr/bin/reminders ] || fail "/usr/bin/reminders is missing"
ok "/usr/bin/reminders"
IFS=: read -r _ _ uid _ _ home shell <<<"$(getent passwd reminders)"
[ "$uid" -lt 1000 ] || fail "reminders has uid $uid, not a system user's"
ok "reminders is a system user (uid $uid)"
same "reminders' home" "$home" "$DATA"
same "reminders' shell" "$shell" /usr/sbin/nologin
getent group reminders >/dev/null || fail "no reminders group"
ok "the reminders group"
same "$DATA" "$(stat -c '%a %U:%G' "$DATA")" "750 reminders:reminders"
for d in csv archive outbox; do
    same "$DATA/$d" "$(stat -c '%a %U:%G' "$DATA/$d")" "700 reminders:reminders"
done
same "$CONF" "$(stat -c '%a %U:%G' "$CONF")" "600 reminders:reminders"
grep -qx "db = \"$DATA/reminders.db\" .*" "$CONF" || fail "$CONF: db is not $DATA/reminders.db"
grep -qx 'auth_token = "" .*' "$CONF" || fail "$CONF: an auth token is filled in"
ok "$CONF: absolute paths under $DATA, no credentials"
grep -qx '\*/5 \* \* \* \* reminders cd /var/lib/reminders && reminders run' /etc/cron.d/reminders ||
    fail "/etc/cron.d/reminders has no heartbeat line"
ok "/etc/cron.d/reminders: */5 * * * * reminders cd $DATA && reminders run"

step "the service user checks the setup, from any folder"
# `reminders check` is the setup check; a build without it falls back to `status --check`.
if reminders --help | grep -qE '^  check( |$)'; then
    probe=(reminders check)
else
    probe=(reminders status --check) # until `reminders check` is in this build
fi
set +e
as_reminders "${probe[@]}" >"$tmp/check.out" 2>&1
code=$?
set -e
cat "$tmp/check.out"
# Unconfigured, it must fail and name the Twilio settings to fill in.
[ "$code" -ne 0 ] || fail "sudo -u reminders ${probe[*]} passed on an unconfigured install"
grep -qi 'auth_token' "$tmp/check.out" ||
    fail "sudo -u reminders ${probe[*]} does not say what to configure"
ok "sudo -u reminders ${probe[*]}: exit $code, names what to configure"

step "an unconfigured heartbeat contacts nobody"
# The send window's tick, as cron runs it; the clinic's zone is the default America/Toronto.
evening=$(TZ=America/Toronto date +%FT19:01:00%:z)
later=$(TZ=America/Toronto date +%FT19:06:00%:z)
tick() { as_reminders sh -c "cd $DATA && REMINDERS_NOW=$1 reminders run"; }
set +e
tick "$evening" >"$tmp/tick1" 2>&1
first=$?
tick "$later" >"$tmp/tick2" 2>&1
second=$?
set -e
cat "$tmp/tick1"
[ "$first" = 1 ] && grep -q 'was refused' "$tmp/tick1" ||
    fail "the 19:01 tick: exit $first, no refusal"
[ "$second" = 0 ] && [ ! -s "$tmp/tick2" ] || fail "the 19:06 tick: exit $second: $(cat "$tmp/tick2")"
ok "19:01: refused and said so (exit 1); 19:06: silent (exit 0): once a day"
set +e
as_reminders env REMINDERS_NOW="$later" reminders status --check >"$tmp/status" 2>&1
set -e
grep -q 'run_refused' "$tmp/status" && grep -q 'TWILIO_AUTH_TOKEN' "$tmp/status" ||
    fail "status --check does not list the refusal: $(cat "$tmp/status")"
ok "status --check lists the refused window and the missing settings"
same "the database's owner and mode" "$(stat -c '%a %U' "$DATA/reminders.db")" "600 reminders"

step "systemd-analyze verify $UNIT"
systemd-analyze verify "$UNIT" >"$tmp/verify" 2>&1 || {
    cat "$tmp/verify"
    fail "systemd-analyze verify"
}
[ ! -s "$tmp/verify" ] || {
    cat "$tmp/verify"
    fail "systemd-analyze verify warns"
}
ok "systemd-analyze verify: no complaint"

step "man reminders"
MANWIDTH=80 man --warnings -P cat reminders >"$tmp/man" 2>"$tmp/man.err" || fail "man reminders"
head -12 "$tmp/man"
[ ! -s "$tmp/man.err" ] || {
    cat "$tmp/man.err"
    fail "man reminders warns"
}
grep -q 'serve-webhook' "$tmp/man" && grep -q '/etc/reminders/reminders.toml' "$tmp/man" ||
    fail "the man page lacks the commands or the configuration's place"
ok "man reminders renders, without warnings"

step "completions"
# shellcheck disable=SC2016 # expanded by the inner bash
got=$(bash -c 'source /usr/share/bash-completion/completions/reminders; complete -p reminders
    COMP_WORDS=(reminders sta); COMP_CWORD=1; _reminders reminders sta reminders
    echo "${COMPREPLY[*]}"')
echo "$got"
grep -q '^complete .*_reminders.* reminders$' <<<"$got" || fail "bash: no completion for reminders"
grep -qx 'status' <<<"$(tail -1 <<<"$got" | tr ' ' '\n')" || fail "bash: 'reminders sta' does not complete to status"
ok "bash: complete -p reminders; 'reminders sta<TAB>' gives status"
for sh in zsh fish; do
    file=$([ $sh = zsh ] && echo /usr/share/zsh/vendor-completions/_reminders ||
        echo /usr/share/fish/vendor_completions.d/reminders.fish)
    if command -v $sh >/dev/null; then
        $sh -n "$file" || fail "$sh cannot parse $file"
        ok "$sh parses $file"
    else
        echo "skipped: $sh is not installed ($file is in place)"
    fi
done

step "dpkg -r keeps the data and the configuration"
dpkg -r "$PKG"
[ ! -e /usr/bin/reminders ] || fail "/usr/bin/reminders is still there"
[ -f "$DATA/reminders.db" ] && [ -d "$DATA/csv" ] || fail "$DATA lost its data"
[ -f "$CONF" ] || fail "$CONF is gone"
getent passwd reminders >/dev/null || fail "the reminders user is gone"
ok "removed: the program is gone; $DATA (with reminders.db), $CONF and the user stay"

step "dpkg -P deletes them, saying what it deleted"
dpkg -P "$PKG" | tee "$tmp/purge"
installed=
for gone in "$DATA" /etc/reminders /etc/cron.d/reminders "$UNIT"; do
    [ ! -e "$gone" ] || fail "$gone survived the purge"
done
! getent passwd reminders >/dev/null || fail "the reminders user survived the purge"
! getent group reminders >/dev/null || fail "the reminders group survived the purge"
grep -q "removed $DATA/reminders.db" "$tmp/purge" && grep -q "removed $DATA\$" "$tmp/purge" ||
    fail "the purge did not say it deleted the database"
ok "purged: $DATA, /etc/reminders and the user and group are gone, each named"

printf '\ntest-install: %d checks passed (%s)\n' "$checks" "$(basename "$deb")"
