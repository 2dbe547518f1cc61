//! Every key a language pack holds, what kind of value each is, and the placeholders its text
//! may use: the table `pack.rs` reads files against and checks complete packs with.

/// What a key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One text.
    Text,
    /// A list of texts (`opt_out_endings`, `names`).
    List,
    /// Reply words.
    Words,
    /// Exactly this many texts (days, months).
    Exactly(usize),
}

/// A key of a pack file.
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    /// Only a call uses it: a text-only pack (no `say_language`) may leave it out.
    pub spoken: bool,
    /// Whether a clinic's pack for a new language must set it. Every key is required today; a
    /// key added in a later version is not (a pack written before it is still whole), and
    /// falls back to the default language's.
    pub required: bool,
    /// The placeholders its text may use; `None`: any (the reminder templates may use the
    /// export's own columns).
    pub placeholders: Option<&'static [&'static str]>,
}

const fn key(name: &'static str, kind: Kind, placeholders: &'static [&'static str]) -> Key {
    Key {
        name,
        kind,
        spoken: false,
        required: true,
        placeholders: Some(placeholders),
    }
}

const fn spoken(name: &'static str, placeholders: &'static [&'static str]) -> Key {
    Key {
        spoken: true,
        ..key(name, Kind::Text, placeholders)
    }
}

/// A key added after the first packs: a clinic's pack written before it is still whole, and
/// gets the default language's words for it.
const fn later(name: &'static str, placeholders: &'static [&'static str]) -> Key {
    Key {
        required: false,
        ..key(name, Kind::Text, placeholders)
    }
}

/// Reply words added after the first packs (`later` for words).
const fn later_words(name: &'static str) -> Key {
    Key {
        required: false,
        ..key(name, Kind::Words, NONE)
    }
}

const fn template(name: &'static str, spoken: bool) -> Key {
    Key {
        name,
        kind: Kind::Text,
        spoken,
        required: true,
        placeholders: None,
    }
}

const NONE: &[&str] = &[];
const WHEN: &[&str] = &["when"];
const WHEN_CLINIC: &[&str] = &["when", "clinic_name", "of_clinic"];
const MOVED: &[&str] = &["when", "moved_from"];
const MOVED_CLINIC: &[&str] = &["when", "moved_from", "clinic_name", "of_clinic"];
const COUNT: &[&str] = &["count"];
const COUNT_CLINIC: &[&str] = &["count", "clinic_name", "of_clinic"];
const DATE: &[&str] = &[
    "weekday",
    "weekday_short",
    "day",
    "month",
    "month_short",
    "year",
];
const OFFER: &[&str] = &["date", "time", "with_provider"];
const OFFER_CLINIC: &[&str] = &["date", "time", "with_provider", "clinic_name"];
const TIME: &[&str] = &["hour", "hour12", "minute", "am_pm"];

/// Every key of a pack, in the order of the English pack (`code` is read apart).
pub const KEYS: &[Key] = &[
    key("name", Kind::Text, NONE),
    key("names", Kind::List, NONE),
    key("say_language", Kind::Text, NONE),
    key("voice", Kind::Text, NONE),
    key("dates.days", Kind::Exactly(7), NONE),
    key("dates.days_short", Kind::Exactly(7), NONE),
    key("dates.months", Kind::Exactly(12), NONE),
    key("dates.months_short", Kind::Exactly(12), NONE),
    key("dates.date", Kind::Text, DATE),
    key("dates.date_short", Kind::Text, DATE),
    key("dates.time", Kind::Text, TIME),
    key("dates.time_on_the_hour", Kind::Text, TIME),
    key("dates.am", Kind::Text, NONE),
    key("dates.pm", Kind::Text, NONE),
    key("words.confirm", Kind::Words, NONE),
    key("words.cancel", Kind::Words, NONE),
    key("words.opt_out", Kind::Words, NONE),
    key("words.opt_in", Kind::Words, NONE),
    key("words.help", Kind::Words, NONE),
    // Answers to an offer of a freed slot (only a reply to an offer is read with them).
    later_words("words.take"),
    later_words("words.decline"),
    template("texts.sms", false),
    template("texts.sms_combined", false),
    key("texts.sms_reminder", Kind::Text, WHEN),
    key("texts.sms_reminder_clinic", Kind::Text, WHEN_CLINIC),
    key("texts.sms_moved", Kind::Text, WHEN),
    key("texts.sms_moved_clinic", Kind::Text, WHEN_CLINIC),
    key("texts.sms_intro", Kind::Text, COUNT),
    key("texts.sms_intro_clinic", Kind::Text, COUNT_CLINIC),
    key("texts.sms_callback", Kind::Text, &["callback_number"]),
    key("texts.opt_out", Kind::Text, NONE),
    key("texts.opt_out_endings", Kind::List, NONE),
    key("texts.when", Kind::Text, &["date", "time"]),
    key("texts.when_short", Kind::Text, &["date", "time"]),
    key("texts.and", Kind::Text, NONE),
    key("texts.of_clinic", Kind::Text, &["clinic_name"]),
    key("texts.of_clinic_elided", Kind::Text, &["clinic_name"]),
    template("texts.voice", true),
    template("texts.voice_combined", true),
    spoken("texts.voice_reminder", WHEN),
    spoken("texts.voice_reminder_clinic", WHEN_CLINIC),
    spoken("texts.voice_moved", MOVED),
    spoken("texts.voice_moved_clinic", MOVED_CLINIC),
    spoken("texts.voice_intro", COUNT),
    spoken("texts.voice_intro_clinic", COUNT_CLINIC),
    spoken("texts.voice_callback", &["callback_number"]),
    spoken("texts.call_confirmed", NONE),
    spoken("texts.call_confirmed_many", NONE),
    spoken("texts.call_cancel", NONE),
    spoken("texts.call_cancel_many", NONE),
    spoken("texts.call_ask_again", NONE),
    spoken("texts.call_ask_again_many", NONE),
    spoken("texts.call_goodbye", NONE),
    spoken("texts.call_unknown", NONE),
    spoken("texts.inbound_reached", NONE),
    spoken("texts.inbound_reached_clinic", &["clinic_name"]),
    spoken("texts.inbound_putting_through", NONE),
    spoken("texts.inbound_no_calls", NONE),
    spoken("texts.inbound_address", &["address"]),
    spoken("texts.inbound_goodbye", NONE),
    key("texts.sms_confirmed", Kind::Text, NONE),
    key("texts.sms_confirmed_many", Kind::Text, NONE),
    key("texts.sms_cancel", Kind::Text, NONE),
    key("texts.sms_cancel_many", Kind::Text, NONE),
    key("texts.sms_no_appointment", Kind::Text, NONE),
    key("texts.sms_help", Kind::Text, NONE),
    key("texts.sms_opted_out", Kind::Text, NONE),
    key("texts.sms_opted_in", Kind::Text, NONE),
    key("texts.sms_seen", Kind::Text, NONE),
    // After the reminder: a text after a voicemail, a missed visit, the clinic's cancellation.
    later("texts.sms_voicemail", WHEN),
    later("texts.sms_voicemail_clinic", &["when", "clinic_name"]),
    later("texts.no_show", &["when", "book_again"]),
    later(
        "texts.no_show_clinic",
        &["when", "book_again", "clinic_name"],
    ),
    later("texts.clinic_cancelled", &["when", "book_again"]),
    later(
        "texts.clinic_cancelled_clinic",
        &["when", "book_again", "clinic_name"],
    ),
    later("texts.book_again", NONE),
    later("texts.book_again_callback", &["callback_number"]),
    // The waitlist: a freed slot offered, and the answers to the patient's reply.
    later("texts.offer", OFFER),
    later("texts.offer_clinic", OFFER_CLINIC),
    later("texts.offer_with_provider", &["provider"]),
    later("texts.offer_taken", &["date", "time"]),
    later("texts.offer_gone", NONE),
    later("texts.offer_declined", NONE),
    later("texts.offer_closed", NONE),
];
