//! The built-in words of a reminder, from the patient's language pack: what a clinic gets
//! without template files. They name the clinic and its call-back number when those are set,
//! and every text ends with the opt-out instruction Canadian and US rules require.
//!
//! A text is written for one GSM-7 segment (160 characters): with a clinic name of about 20
//! characters and a call-back number, one appointment's text fits in every built-in language
//! whatever the date (`docs/messages.md` has the lengths; a test renders every text and fails
//! when one grows past a segment). That is why texts give the date short (`Wed Sep 30, 10:30
//! AM`, `mer. 30 sept., 10 h 30`) and put the three reply words in one sentence, while a call,
//! which has no such limit, says the date in full. The words for an answer are the same by
//! phone and by text: confirm, or cancel or reschedule (`annuler ou reporter`).

use crate::domain::languages::Pack;

/// The built-in template for a message of `count` appointments.
pub fn sms(pack: &Pack, count: usize) -> &str {
    pack.text(if count > 1 {
        "texts.sms_combined"
    } else {
        "texts.sms"
    })
}

pub fn voice(pack: &Pack, count: usize) -> &str {
    pack.text(if count > 1 {
        "texts.voice_combined"
    } else {
        "texts.voice"
    })
}

/// How to stop reminders, as a sentence of its own: what `{opt_out}` stands for, and what is
/// added to a clinic's text that leaves it out.
pub fn opt_out(pack: &Pack) -> &str {
    pack.text("texts.opt_out")
}

/// How a text that already tells how to stop ends: the built-in texts end their sentence of
/// reply words with it, `opt_out` ends with it too.
pub fn opt_out_endings(pack: &Pack) -> &[String] {
    pack.list("texts.opt_out_endings")
}

/// Whether a language's `of_clinic_elided` goes before this name: French elides `de` before a
/// vowel or a mute h (a clinic's name starting with `h` is taken as mute, as most are:
/// "d'Hôpital Général").
pub fn elides(name: &str) -> bool {
    name.trim_start().chars().next().is_some_and(|c| {
        c.to_lowercase()
            .next()
            .is_some_and(|c| "aeiouhàâäéèêëîïôöùûü".contains(c))
    })
}

/// "from Bloor Street Clinic", "de Bloor", "d'Ottawa".
pub fn of_clinic(pack: &Pack, name: &str) -> String {
    let (key, name) = if elides(name) {
        ("texts.of_clinic_elided", name.trim_start())
    } else {
        ("texts.of_clinic", name)
    };
    pack.say(key, |p| (p == "clinic_name").then(|| name.to_string()))
}

/// A sentence key with `{clinic_name}` and `{of_clinic}` filled, and `more` for the rest.
fn with_clinic(
    pack: &Pack,
    key: &str,
    clinic: Option<&str>,
    more: impl Fn(&str) -> Option<String>,
) -> String {
    pack.say(key, |p| match p {
        "clinic_name" => clinic.map(str::to_string),
        "of_clinic" => clinic.map(|c| of_clinic(pack, c)),
        other => more(other),
    })
}

/// The sentence a single reminder says when the export gave no message. `brief`: for a text
/// (one segment), else for a call.
pub fn default_sentence(
    pack: &Pack,
    clinic: Option<&str>,
    when: &str,
    moved_from: Option<&str>,
    brief: bool,
) -> String {
    let key = match (brief, moved_from.is_some(), clinic.is_some()) {
        (true, false, false) => "texts.sms_reminder",
        (true, false, true) => "texts.sms_reminder_clinic",
        (true, true, false) => "texts.sms_moved",
        (true, true, true) => "texts.sms_moved_clinic",
        (false, false, false) => "texts.voice_reminder",
        (false, false, true) => "texts.voice_reminder_clinic",
        (false, true, false) => "texts.voice_moved",
        (false, true, true) => "texts.voice_moved_clinic",
    };
    with_clinic(pack, key, clinic, |p| match p {
        "when" => Some(when.to_string()),
        "moved_from" => moved_from.map(str::to_string),
        _ => None,
    })
}

/// "Reminder from Bloor Street Clinic, 3 appointments:" (a text) / "Reminder from Bloor Street
/// Clinic: you have 3 appointments:" (a call).
pub fn intro(pack: &Pack, clinic: Option<&str>, count: usize, brief: bool) -> String {
    let key = match (brief, clinic.is_some()) {
        (true, false) => "texts.sms_intro",
        (true, true) => "texts.sms_intro_clinic",
        (false, false) => "texts.voice_intro",
        (false, true) => "texts.voice_intro_clinic",
    };
    with_clinic(pack, key, clinic, |p| {
        (p == "count").then(|| count.to_string())
    })
}

/// " Questions? Call 416-555-0001." (a leading space, to follow a sentence), or nothing.
/// `brief`: the shorter words a one-segment text needs.
pub fn callback_sentence(pack: &Pack, number: Option<&str>, brief: bool) -> String {
    let Some(n) = number else {
        return String::new();
    };
    let key = if brief {
        "texts.sms_callback"
    } else {
        "texts.voice_callback"
    };
    let sentence = pack.say(key, |p| (p == "callback_number").then(|| n.to_string()));
    format!(" {sentence}")
}

/// "Wednesday, November 25 at 9:30 AM" / "mercredi 25 novembre à 9 h 30"; `brief`: a text's
/// "Wed Nov 25, 9:30 AM".
pub fn when(pack: &Pack, date: &str, time: &str, brief: bool) -> String {
    let key = if brief {
        "texts.when_short"
    } else {
        "texts.when"
    };
    pack.say(key, |p| match p {
        "date" => Some(date.to_string()),
        "time" => Some(time.to_string()),
        _ => None,
    })
}

/// The list of a combined message: "…; …; and …" / "…; … et …".
pub fn list(pack: &Pack, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => {
            format!("{}; {} {last}", init.join("; "), pack.text("texts.and"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::languages::Languages;

    #[test]
    fn de_elides_before_a_vowel_or_an_h() {
        let all = Languages::built_in();
        let fr = all.get("fr");
        assert_eq!(
            of_clinic(fr, "Bloor Street Clinic"),
            "de Bloor Street Clinic"
        );
        assert_eq!(
            of_clinic(fr, "Ottawa Family Clinic"),
            "d'Ottawa Family Clinic"
        );
        assert_eq!(of_clinic(fr, "Hôpital Général"), "d'Hôpital Général");
        assert_eq!(of_clinic(fr, "hull"), "d'hull");
        assert_eq!(of_clinic(fr, "Élan Santé"), "d'Élan Santé");
        assert_eq!(of_clinic(fr, "Île-des-Sœurs"), "d'Île-des-Sœurs");
        assert_eq!(of_clinic(fr, "Université"), "d'Université");
        assert_eq!(of_clinic(fr, "Yorkville"), "de Yorkville");
        assert_eq!(of_clinic(fr, "123 Clinic"), "de 123 Clinic");
        assert_eq!(
            default_sentence(fr, Some("Ottawa"), "lun. 2 nov., 9 h", None, true),
            "Rappel d'Ottawa : lun. 2 nov., 9 h."
        );
        // English and Spanish do not elide.
        assert_eq!(of_clinic(all.get("en"), "Ottawa"), "from Ottawa");
        assert_eq!(of_clinic(all.get("es"), "Ottawa"), "de Ottawa");
    }
}
