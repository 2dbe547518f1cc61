//! Parsers for configuration values: each turns text into a value or says, in words, what the
//! value must look like.

use std::fmt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::exit::usage;

pub fn positive_f64(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err("must be a number above 0".into()),
    }
}

pub fn whole<T: std::str::FromStr + PartialOrd + Copy + fmt::Display>(
    min: T,
    max: T,
) -> impl Fn(&str) -> std::result::Result<T, String> {
    move |s| match s.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

pub fn boolean(s: &str) -> std::result::Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

pub fn path(s: &str) -> std::result::Result<PathBuf, String> {
    if s.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(PathBuf::from(s))
    }
}

pub fn parse_now(raw: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            usage(format!(
                "environment variable REMINDERS_NOW: {e} (got {raw:?}; expected RFC 3339, e.g. 2026-11-24T19:00:00-05:00)"
            ))
        })
}

/// The public base URL Twilio reaches the listener at: signatures are computed over it and
/// every callback URL is it plus a path, so it is checked and normalised once here (lower-case
/// scheme and host, no trailing slash). A query or fragment would swallow the paths added to it
/// (`https://h?x=1/twilio/call-status` reaches `/`, and every callback gets 404), and a user name
/// or password does not belong in a URL sent to Twilio with every request.
pub fn parse_public_url(raw: &str) -> std::result::Result<String, String> {
    const SCHEME: &str = "must start with https:// or http://";
    let (scheme, rest) = raw.split_once("://").ok_or(SCHEME)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(SCHEME.into());
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    if rest.contains('?') {
        return Err("must not carry a query (`?…`): the callback paths are added after it".into());
    }
    if rest.contains('#') {
        return Err(
            "must not carry a fragment (`#…`): the callback paths are added after it".into(),
        );
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err("must not carry a user name or password (`user@`)".into());
    }
    check_host(authority)?;
    Ok(format!(
        "{scheme}://{}{}",
        authority.to_ascii_lowercase(),
        path.trim_end_matches('/')
    ))
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn check_host(authority: &str) -> std::result::Result<(), String> {
    let (host, port, allowed): (&str, Option<&str>, fn(char) -> bool) =
        match authority.strip_prefix('[') {
            Some(v6) => {
                let (addr, after) = v6
                    .split_once(']')
                    .ok_or("has an unclosed `[` in its host")?;
                let port = match after {
                    "" => None,
                    _ => Some(after.strip_prefix(':').ok_or("has text after its host")?),
                };
                (addr, port, |c| {
                    c.is_ascii_hexdigit() || matches!(c, ':' | '.')
                })
            }
            None => match authority.split_once(':') {
                Some((h, p)) => (h, Some(p), |c| {
                    c.is_ascii_alphanumeric() || matches!(c, '-' | '.')
                }),
                None => (authority, None, |c| {
                    c.is_ascii_alphanumeric() || matches!(c, '-' | '.')
                }),
            },
        };
    if host.is_empty() {
        return Err("has no host".into());
    }
    if !host.chars().all(allowed) {
        return Err(format!("has an invalid host {host:?}"));
    }
    if let Some(p) = port
        && !(p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n > 0))
    {
        return Err(format!("has an invalid port {p:?}"));
    }
    Ok(())
}

/// A public URL as an error may quote it: a password in it is not repeated.
pub fn public_url_shown(raw: &str) -> String {
    match raw.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => raw.to_string(),
            }
        }
        None => raw.to_string(),
    }
}

/// A template file's text: a regular file of at most 1 MiB (a named pipe would block the run,
/// holding its lock, until something wrote to it).
pub fn read_template(path: &Option<PathBuf>) -> Result<Option<String>> {
    match path {
        None => Ok(None),
        Some(p) => match super::file::read_small(p, "template") {
            Ok(text) => Ok(Some(text)),
            Err(super::file::Unreadable::Missing(e)) => {
                Err(e).with_context(|| format!("reading template {}", p.display()))
            }
            Err(super::file::Unreadable::Refused(why)) => Err(anyhow::anyhow!(why)),
        },
    }
}
