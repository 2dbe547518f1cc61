//! The rules of contact (docs/behaviour.md, "Holds"): how many contacts one number may get a
//! local day and in the last seven, the `us-health` profile's lengths, and what a contact over
//! them becomes — a hold, with its reason in words, never a silent drop.
//!
//! A contact is every call or message we create, whatever it is for ([`ContactKind`]). The
//! caller counts the number's contacts from the attempts table (`db::holds::contacts_to`); the
//! decision here is pure.

pub use crate::domain::contact_kind::ContactKind;

/// The caps of one site (0: no cap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    pub per_day: u32,
    pub per_week: u32,
}

impl Caps {
    pub fn any(&self) -> bool {
        self.per_day > 0 || self.per_week > 0
    }

    /// Whether `self` (a site's own caps) is at least as strict as `outer` on both counts: a
    /// cap of 0 is none at all, so it loosens any cap.
    pub fn tightens(&self, outer: &Caps) -> Result<(), String> {
        for (name, mine, theirs) in [
            ("per_day", self.per_day, outer.per_day),
            ("per_week", self.per_week, outer.per_week),
        ] {
            if theirs > 0 && (mine == 0 || mine > theirs) {
                let mine = if mine == 0 {
                    "0 (no cap)".to_string()
                } else {
                    mine.to_string()
                };
                return Err(format!(
                    "{name} = {mine} is looser than the {theirs} that applies to every site: a site may only tighten it"
                ));
            }
        }
        Ok(())
    }
}

/// A clinic's bundle of rules, `[limits] profile`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    #[default]
    None,
    /// The conditions of the US FCC's exemption for healthcare calls and texts (FCC 15-72).
    UsHealth,
}

/// `us-health`: one contact a day, three a week, texts of 160 characters, calls of a minute.
pub const US_HEALTH_CAPS: Caps = Caps {
    per_day: 1,
    per_week: 3,
};
pub const US_HEALTH_TEXT_CHARS: usize = 160;
pub const US_HEALTH_CALL_SECONDS: u32 = 60;
/// How fast a call script is taken to be spoken.
pub const WORDS_PER_MINUTE: u32 = 150;

impl Profile {
    pub fn parse(s: &str) -> Option<Profile> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" => Some(Profile::None),
            "us-health" => Some(Profile::UsHealth),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::None => "",
            Profile::UsHealth => "us-health",
        }
    }

    /// The caps the profile sets (none without one).
    pub fn caps(self) -> Caps {
        match self {
            Profile::None => Caps::default(),
            Profile::UsHealth => US_HEALTH_CAPS,
        }
    }

    /// The longest text and call the profile allows, if it limits them.
    pub fn lengths(self) -> Option<(usize, u32)> {
        match self {
            Profile::None => None,
            Profile::UsHealth => Some((US_HEALTH_TEXT_CHARS, US_HEALTH_CALL_SECONDS)),
        }
    }
}

/// Why a contact was held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    PerDay,
    PerWeek,
    TextLength,
    CallLength,
}

impl Rule {
    pub const ALL: [Rule; 4] = [
        Rule::PerDay,
        Rule::PerWeek,
        Rule::TextLength,
        Rule::CallLength,
    ];

    /// As stored in `holds.rule` and shown in counts.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::PerDay => "per_day",
            Rule::PerWeek => "per_week",
            Rule::TextLength => "text_length",
            Rule::CallLength => "call_length",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Appointments held, by rule: what a run and a dry run say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HoldCounts([i64; 4]);

impl HoldCounts {
    pub fn add(&mut self, rule: Rule, n: i64) {
        self.0[rule as usize] += n;
    }

    pub fn merge(&mut self, other: &HoldCounts) {
        for r in Rule::ALL {
            self.add(r, other.get(r));
        }
    }

    pub fn get(&self, rule: Rule) -> i64 {
        self.0[rule as usize]
    }

    pub fn total(&self) -> i64 {
        self.0.iter().sum()
    }

    /// "1 a day: 2, text length: 1" — the rules that held any, in words.
    pub fn describe(&self, caps: Caps) -> String {
        Rule::ALL
            .into_iter()
            .filter(|r| self.get(*r) > 0)
            .map(|r| format!("{}: {}", rule_words(r, caps), self.get(r)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A rule as people read it in counts.
pub fn rule_words(rule: Rule, caps: Caps) -> String {
    match rule {
        Rule::PerDay if caps.per_day > 0 => format!("{} a day", caps.per_day),
        Rule::PerDay => "per day".to_string(),
        Rule::PerWeek if caps.per_week > 0 => format!("{} a week", caps.per_week),
        Rule::PerWeek => "per week".to_string(),
        Rule::TextLength => "text too long".to_string(),
        Rule::CallLength => "call too long".to_string(),
    }
}

/// The number's contacts so far: on the site's local day, and in the last 7 local days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Used {
    pub day: u32,
    pub week: u32,
}

/// Whether a contact of `kind` may be made to a number that has had `used`, when `ahead` more
/// important contacts are still due to it in this run (they keep the room they need). `None`:
/// go; else the cap that holds it.
pub fn decide(kind: ContactKind, used: Used, caps: Caps, ahead: &[ContactKind]) -> Option<Rule> {
    let before = ahead
        .iter()
        .filter(|k| k.priority() < kind.priority())
        .count() as u32;
    let full = |cap: u32, used: u32| cap > 0 && used.saturating_add(before) >= cap;
    if full(caps.per_day, used.day) {
        Some(Rule::PerDay)
    } else if full(caps.per_week, used.week) {
        Some(Rule::PerWeek)
    } else {
        None
    }
}

/// The hold's reason in words; `who` is the number as people may see it (masked).
pub fn cap_reason(rule: Rule, caps: Caps, who: &str) -> String {
    match rule {
        Rule::PerDay => format!("held: {} a day reached for {who}", caps.per_day),
        Rule::PerWeek => format!("held: {} a week reached for {who}", caps.per_week),
        Rule::TextLength | Rule::CallLength => format!("held: over a cap for {who}"),
    }
}

/// The words a call script speaks: its TwiML's text, tags left out (the values in it are
/// escaped, so every `<` starts a tag).
pub fn spoken_words(twiml: &str) -> usize {
    let mut text = String::with_capacity(twiml.len());
    let mut in_tag = false;
    for c in twiml.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    // An escaped `&` is the one character, which is no word of its own.
    // (`l&apos;annuler` is one word.)
    let text = [
        ("&amp;", " "),
        ("&lt;", " "),
        ("&gt;", " "),
        ("&quot;", "\""),
        ("&apos;", "'"),
    ]
    .iter()
    .fold(text, |t, (e, c)| t.replace(e, c));
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// How long `words` take to say at `WORDS_PER_MINUTE`, in whole seconds (rounded up).
pub fn spoken_seconds(words: usize) -> u32 {
    (words as u32 * 60).div_ceil(WORDS_PER_MINUTE)
}

/// A message the profile's lengths refuse, with the reason; `None` when it fits. `sms`: the
/// text's body; else the call's TwiML.
pub fn too_long(profile: Profile, sms: bool, content: &str) -> Option<(Rule, String)> {
    let (chars_max, seconds_max) = profile.lengths()?;
    if sms {
        let chars = content.chars().count();
        (chars > chars_max).then(|| {
            (
                Rule::TextLength,
                format!(
                    "held: the text is {chars} characters, over the {chars_max} {} allows",
                    profile.name()
                ),
            )
        })
    } else {
        let words = spoken_words(content);
        let seconds = spoken_seconds(words);
        (seconds > seconds_max).then(|| {
            (
                Rule::CallLength,
                format!(
                    "held: the call says {words} words, {seconds} s at {WORDS_PER_MINUTE} a minute, over the {seconds_max} s {} allows",
                    profile.name()
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: ContactKind = ContactKind::Reminder;

    fn used(day: u32, week: u32) -> Used {
        Used { day, week }
    }

    #[test]
    fn caps_hold_at_the_cap_and_never_without_one() {
        let caps = Caps {
            per_day: 1,
            per_week: 3,
        };
        let cases = [
            (used(0, 0), None),
            (used(0, 2), None),
            (used(1, 1), Some(Rule::PerDay)),
            (used(1, 3), Some(Rule::PerDay)),
            (used(0, 3), Some(Rule::PerWeek)),
            (used(0, 9), Some(Rule::PerWeek)),
        ];
        for (u, want) in cases {
            assert_eq!(decide(R, u, caps, &[]), want, "{u:?}");
        }
        // 0: no cap at all, however many.
        assert_eq!(decide(R, used(50, 500), Caps::default(), &[]), None);
        let only_week = Caps {
            per_day: 0,
            per_week: 2,
        };
        assert_eq!(decide(R, used(1, 1), only_week, &[]), None);
        assert_eq!(decide(R, used(1, 2), only_week, &[]), Some(Rule::PerWeek));
    }

    #[test]
    fn room_for_one_goes_to_the_reminder_before_a_voicemail_text_before_a_follow_up() {
        let caps = Caps {
            per_day: 1,
            per_week: 0,
        };
        let none = used(0, 0);
        // A reminder due to the same number keeps the one contact left: the others wait.
        assert_eq!(decide(R, none, caps, &[ContactKind::NoShow]), None);
        assert_eq!(
            decide(ContactKind::NoShow, none, caps, &[R]),
            Some(Rule::PerDay)
        );
        assert_eq!(
            decide(
                ContactKind::NoShow,
                none,
                caps,
                &[ContactKind::VoicemailText]
            ),
            Some(Rule::PerDay)
        );
        assert_eq!(
            decide(
                ContactKind::VoicemailText,
                none,
                caps,
                &[ContactKind::ClinicCancelled]
            ),
            None
        );
        assert_eq!(
            decide(
                ContactKind::VoicemailText,
                none,
                caps,
                &[ContactKind::VoicemailText]
            ),
            None
        );
        let mut kinds = [ContactKind::ClinicCancelled, R, ContactKind::VoicemailText];
        kinds.sort_by_key(|k| k.priority());
        assert_eq!(
            kinds,
            [R, ContactKind::VoicemailText, ContactKind::ClinicCancelled]
        );
    }

    #[test]
    fn a_site_may_only_tighten() {
        let top = US_HEALTH_CAPS;
        assert!(
            Caps {
                per_day: 1,
                per_week: 2
            }
            .tightens(&top)
            .is_ok()
        );
        let err = Caps {
            per_day: 2,
            per_week: 3,
        }
        .tightens(&top)
        .unwrap_err();
        assert!(err.contains("per_day = 2 is looser than the 1"), "{err}");
        let err = Caps {
            per_day: 1,
            per_week: 0,
        }
        .tightens(&top)
        .unwrap_err();
        assert!(err.contains("per_week = 0 (no cap)"), "{err}");
        // Without caps above, anything goes.
        assert!(
            Caps {
                per_day: 4,
                per_week: 0
            }
            .tightens(&Caps::default())
            .is_ok()
        );
    }

    #[test]
    fn reasons_say_the_cap_and_the_masked_number() {
        assert_eq!(
            cap_reason(Rule::PerDay, US_HEALTH_CAPS, "+1416***0101"),
            "held: 1 a day reached for +1416***0101"
        );
        assert_eq!(
            cap_reason(Rule::PerWeek, US_HEALTH_CAPS, "+1416***0101"),
            "held: 3 a week reached for +1416***0101"
        );
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn a_call_is_timed_by_its_spoken_words_at_150_a_minute() {
        assert_eq!(spoken_seconds(150), 60);
        assert_eq!(spoken_seconds(151), 61);
        assert_eq!(spoken_seconds(1), 1);
        assert_eq!(spoken_seconds(0), 0);
        let twiml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Pause length="1"/><Gather action="https://x/y?a=1&amp;b=2">
<Say language="en-CA">Press 1 to confirm, or 2 &amp; 3.</Say></Gather></Response>"#;
        // Press 1 to confirm, or 2 3 — "&amp;" alone is no word; attributes are not spoken.
        assert_eq!(spoken_words(twiml), 7);
        let say = |n: usize| format!("<Response><Say>{}</Say></Response>", "word ".repeat(n));
        assert_eq!(too_long(Profile::UsHealth, false, &say(150)), None);
        let (rule, why) = too_long(Profile::UsHealth, false, &say(151)).unwrap();
        assert_eq!(rule, Rule::CallLength);
        assert!(why.contains("151 words, 61 s"), "{why}");
        assert_eq!(too_long(Profile::None, false, &say(1000)), None);
    }

    #[test]
    fn a_text_over_160_characters_is_too_long_for_us_health() {
        let text = |n: usize| "é".repeat(n);
        assert_eq!(too_long(Profile::UsHealth, true, &text(160)), None);
        let (rule, why) = too_long(Profile::UsHealth, true, &text(161)).unwrap();
        assert_eq!(rule, Rule::TextLength);
        assert_eq!(
            why,
            "held: the text is 161 characters, over the 160 us-health allows"
        );
        assert_eq!(too_long(Profile::None, true, &text(1000)), None);
        assert_eq!(Profile::parse(" US-Health "), Some(Profile::UsHealth));
        assert_eq!(Profile::parse(""), Some(Profile::None));
        assert_eq!(Profile::parse("hipaa"), None);
    }
}
