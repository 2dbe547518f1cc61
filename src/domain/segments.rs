//! How an SMS body travels: its encoding, its length in the encoding's units and the
//! number of segments a carrier bills. `send --dry-run`, `status` and `report` show these.
//!
//! A body travels as GSM-7 when every character is in the GSM 03.38 default alphabet (its basic
//! set, or its extension table at two septets each: the escape and the character); otherwise the
//! whole body goes as UCS-2 (in fact UTF-16: a character outside the Basic Multilingual Plane,
//! such as an emoji, takes two units). One message holds 160 septets or 70 UCS-2 units; a longer
//! body is split into segments of 153 septets or 67 units, the rest of each segment carrying the
//! header that joins them again. Like Twilio, a character is never split across two segments
//! (an escape and its extension character, or the two halves of a surrogate pair), so such a
//! character at a boundary moves whole to the next segment.
//!
//! Twilio's optional "smart encoding" (which would replace `’` with `'`) is not assumed: what is
//! counted is the body as written.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }

    /// Units that fit in a message sent alone, and in each segment of a longer one.
    fn capacity(self) -> (usize, usize) {
        match self {
            Encoding::Gsm7 => (160, 153),
            Encoding::Ucs2 => (70, 67),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmsShape {
    pub encoding: Encoding,
    /// Septets for GSM-7 (an extension character counts 2), UTF-16 code units for UCS-2.
    pub units: usize,
    /// Segments billed; 0 for an empty body (nothing is sent).
    pub segments: usize,
}

/// GSM 03.38 default alphabet, basic set: the 128 code points less the escape (0x1B), in order.
/// Note what is *not* here: `ç` (only the capital `Ç` is), `ê`, `â`, `î`, `ô`, `û`, `’`, tab,
/// the backtick. `\u{a7}` is the section sign, which the set holds between `Ü` and `¿`.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ\u{a7}¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// GSM 03.38 default extension table: each is sent as the escape and one more septet.
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets a character takes in GSM-7, or `None` when GSM-7 cannot carry it.
fn septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

pub fn shape(body: &str) -> SmsShape {
    let encoding = if body.chars().all(|c| septets(c).is_some()) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    };
    let width = |c: char| match encoding {
        Encoding::Gsm7 => septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    };
    let units = body.chars().map(width).sum();
    let (single, per_segment) = encoding.capacity();
    let segments = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        // Fill each segment with whole characters.
        let (mut segments, mut used) = (1, 0);
        for w in body.chars().map(width) {
            if used + w > per_segment {
                segments += 1;
                used = 0;
            }
            used += w;
        }
        segments
    };
    SmsShape {
        encoding,
        units,
        segments,
    }
}

/// "GSM-7, 1 segment", "UCS-2, 3 segments".
pub fn describe(shape: SmsShape) -> String {
    let plural = if shape.segments == 1 { "" } else { "s" };
    format!(
        "{}, {} segment{plural}",
        shape.encoding.name(),
        shape.segments
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::{Gsm7, Ucs2};

    fn times(s: &str, n: usize) -> String {
        s.repeat(n)
    }

    #[test]
    fn the_tables_are_gsm_03_38() {
        assert_eq!(BASIC.chars().count(), 127);
        assert_eq!(EXTENSION.chars().count(), 10);
        let mut all: Vec<char> = BASIC.chars().chain(EXTENSION.chars()).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 137, "a character is in both tables or twice");
        // Every printable ASCII character but the backtick, with `@`, `$`, `_` from the
        // basic set and `^ { } \ [ ~ ] |` from the extension.
        for c in (' '..='~').filter(|&c| c != '`') {
            assert!(septets(c).is_some(), "{c:?}");
        }
        assert_eq!(septets('`'), None);
    }

    #[test]
    fn shapes() {
        let a160 = times("a", 160);
        let a161 = times("a", 161);
        let a306 = times("a", 306);
        let a307 = times("a", 307);
        let e70 = times("ê", 70);
        let e71 = times("ê", 71);
        let e134 = times("ê", 134);
        let e135 = times("ê", 135);
        let euro_fits = times("a", 158) + "€";
        let euro_over = times("a", 159) + "€";
        // 152 + € would make 154 in the first segment: the € moves whole to the second, and
        // the last `a` spills into a third although 306 septets would fill two exactly.
        let euro_at_boundary = times("a", 152) + "€" + &times("a", 152);
        let emoji_fits = times("ê", 68) + "😀";
        let emoji_over = times("ê", 69) + "😀";
        let emoji_at_boundary = times("ê", 66) + "😀" + &times("ê", 66);
        let table: &[(&str, Encoding, usize, usize)] = &[
            ("", Gsm7, 0, 0),
            ("C", Gsm7, 1, 1),
            (&a160, Gsm7, 160, 1),
            (&a161, Gsm7, 161, 2),
            (&a306, Gsm7, 306, 2),
            (&a307, Gsm7, 307, 3),
            ("€", Gsm7, 2, 1),
            ("[test] {x} ~ | \\ ^", Gsm7, 26, 1),
            (&euro_fits, Gsm7, 160, 1),
            (&euro_over, Gsm7, 161, 2),
            (&euro_at_boundary, Gsm7, 306, 3),
            ("ê", Ucs2, 1, 1),
            (&e70, Ucs2, 70, 1),
            (&e71, Ucs2, 71, 2),
            (&e134, Ucs2, 134, 2),
            (&e135, Ucs2, 135, 3),
            ("😀", Ucs2, 2, 1),
            (&emoji_fits, Ucs2, 70, 1),
            (&emoji_over, Ucs2, 71, 2),
            (&emoji_at_boundary, Ucs2, 134, 3),
            // One character outside GSM-7 sends the whole body as UCS-2.
            ("Hello `world`", Ucs2, 13, 1),
            ("tab\there", Ucs2, 8, 1),
        ];
        for (body, encoding, units, segments) in table {
            let got = shape(body);
            assert_eq!(
                (got.encoding, got.units, got.segments),
                (*encoding, *units, *segments),
                "{body:?}"
            );
        }
    }

    #[test]
    fn french_texts_of_this_app() {
        let table: &[(&str, Encoding)] = &[
            // é is in the basic set: the opt-out line travels as GSM-7.
            ("Répondez ARRET pour ne plus recevoir de rappels.", Gsm7),
            (
                "Répondez C pour confirmer ou R pour changer le rendez-vous.",
                Gsm7,
            ),
            (
                "Rendez-vous à la Clinique Bloor, mardi à 14 h 30. Ça va?",
                Gsm7,
            ),
            ("É è àùìò ÄÖÜ äöüñ Ñ Å å Æ æ ß Ø ø Ç \u{a7} ¿ ¡ £ ¥ ¤", Gsm7),
            // Only the capital Ç is in GSM-7.
            ("Votre reçu", Ucs2),
            // No capital with a grave accent: only the lower-case à è ù ì ò are in the set.
            ("À demain", Ucs2),
            ("ÈVE", Ucs2),
            ("Vous devez être à jeun.", Ucs2),
            ("Répondez ARRÊT pour ne plus recevoir de rappels.", Ucs2),
            ("à l’heure", Ucs2),
            ("Âge, île, hôpital, sûr", Ucs2),
            ("Merci! 🙂", Ucs2),
        ];
        for (body, encoding) in table {
            assert_eq!(shape(body).encoding, *encoding, "{body:?}");
        }
        let opt_out = shape("Répondez ARRET pour ne plus recevoir de rappels.");
        assert_eq!((opt_out.units, opt_out.segments), (48, 1));
    }

    #[test]
    fn descriptions() {
        assert_eq!(describe(shape("Bonjour")), "GSM-7, 1 segment");
        assert_eq!(describe(shape(&times("ê", 135))), "UCS-2, 3 segments");
        assert_eq!(describe(shape("")), "GSM-7, 0 segments");
    }
}
