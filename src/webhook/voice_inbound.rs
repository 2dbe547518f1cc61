//! A call to one of our numbers: a patient calling back the number a reminder came from. The
//! number they called says whose line it is (a site's `phone_number`, else the clinic's own);
//! they hear which clinic this is, in their language when their number is on an appointment,
//! and are put through to the site's call-back number — or, when there is none, told how to
//! reach the clinic, and the call ends. The call is recorded in `webhook_events` by the caller
//! of `answer`, like every request.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::Connection;

use super::handlers::{Answer, Settings, xml};
use super::twiml;
use crate::db::appointments;
use crate::mask;

/// One of our numbers and the clinic that answers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    /// The site's key in `[sites]`; empty for the clinic's own line.
    pub site: String,
    /// Our number, E.164 (what Twilio sends as `To`).
    pub number: String,
    pub clinic_name: Option<String>,
    /// Where the call is put through; E.164 when the configured value reads as a number.
    pub callback_number: Option<String>,
    pub address: Option<String>,
}

/// Every line the listener may be called on.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    /// The sites' own numbers, in configuration order.
    pub sites: Vec<Line>,
    /// The top-level number and identity: any call to a number no site has.
    pub main: Line,
}

impl Lines {
    /// The line `to` (the called number) belongs to: the first site with that number, else the
    /// clinic's own.
    pub fn called(&self, to: &str) -> &Line {
        let to = to.trim();
        self.sites
            .iter()
            .find(|l| !to.is_empty() && l.number == to)
            .unwrap_or(&self.main)
    }
}

/// A call as Twilio announced it.
pub struct Call<'a> {
    pub call_sid: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

/// The TwiML for an incoming call, and a note for the log (numbers masked).
pub fn answer(
    conn: &Connection,
    s: &Settings,
    call: Call<'_>,
    now: Stamp,
) -> Result<(Answer, String)> {
    let line = s.lines.called(call.to);
    // A withheld caller ID comes as `anonymous` (or empty), never as a number.
    let withheld = !call.from.starts_with('+');
    let known = if withheld {
        None
    } else {
        appointments::language_of(conn, call.from, now)?
    };
    let pack = known.map_or(s.languages.default_pack(), |l| s.languages.spoken(l.code()));
    let clinic = line.clinic_name.as_deref();
    let doc = match line.callback_number.as_deref() {
        Some(number) => twiml::put_through(pack, clinic, number),
        None => twiml::no_one_to_put_through(pack, clinic, line.address.as_deref()),
    };
    let whose = if line.site.is_empty() {
        "the clinic's line".to_string()
    } else {
        format!("site {}'s line", line.site)
    };
    let caller = if withheld {
        "a withheld number".to_string()
    } else {
        mask::phone(call.from)
    };
    let done = if line.callback_number.is_some() {
        "put through to the call-back number"
    } else {
        "no call-back number: told how to reach the clinic"
    };
    let language = if known.is_some() {
        pack.code.to_string()
    } else {
        format!("{} (number not on an appointment)", pack.code)
    };
    Ok((
        xml(doc),
        format!(
            "call {} from {caller} to {whose}, in {language}: {done}",
            call.call_sid
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(site: &str, number: &str) -> Line {
        Line {
            site: site.into(),
            number: number.into(),
            ..Line::default()
        }
    }

    #[test]
    fn the_called_number_picks_the_line() {
        let lines = Lines {
            sites: vec![line("bloor", "+14165550000"), line("west", "+16045550000")],
            main: line("", "+16135550000"),
        };
        assert_eq!(lines.called("+16045550000").site, "west");
        assert_eq!(lines.called(" +14165550000 ").site, "bloor");
        assert_eq!(lines.called("+16135550000").site, "");
        assert_eq!(lines.called("").site, "");
        assert_eq!(lines.called("+19995550000").site, "");
    }
}
