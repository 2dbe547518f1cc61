#!/bin/sh
# Builds the Debian package: the release binary; then what the package ships that is made from
# it (shell completions and the man page, from the clap definitions) or from the repository
# (/etc/reminders/reminders.toml, from reminders.toml.example) into target/deb-assets; then
# `cargo deb`. Needs cargo-deb (`cargo install cargo-deb --locked`). Prints the .deb's path last.
set -eu
cd "$(dirname "$0")/../.."

if ! command -v cargo-deb >/dev/null; then
    echo "build.sh: cargo-deb is not installed: cargo install cargo-deb --locked" >&2
    exit 1
fi

cargo build --release --locked
bin=${CARGO_TARGET_DIR:-target}/release/reminders
# Where Cargo.toml's [package.metadata.deb] assets expect them, whatever the target folder.
out=target/deb-assets
rm -rf "$out"
mkdir -p "$out/completions"
contrib/deb/make-config.sh reminders.toml.example >"$out/reminders.toml"
"$bin" completions bash >"$out/completions/reminders.bash"
"$bin" completions zsh >"$out/completions/_reminders"
"$bin" completions fish >"$out/completions/reminders.fish"
"$bin" man >"$out/reminders.1"

# cargo deb prints the package's path on stdout, its progress and warnings on stderr.
deb=$(cargo deb --no-build --locked)
echo "$deb"
