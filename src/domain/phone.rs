//! Phone numbers to E.164 with libphonenumber's rules (the `phonenumber` crate).
//!
//! The crate is slow (every regex it uses is looked up by its source text in a hashed,
//! mutex-guarded cache), and an import checks one number per row. Most clinics' numbers are
//! plain North American (NANP) numbers, so those take a fast path whose results are identical to
//! the crate's:
//!
//! * An input that is *plainly* a NANP number — ASCII digits with the usual separators (space,
//!   `-`, `.`, `(`, `)`), ten digits whose area code starts with 2–9, optionally led by `1` or
//!   `+1` — read in a country-code-1 region (`US` or `CA`), always parses to country code 1 and
//!   that ten-digit national number, so its E.164 form is `+1` and those digits, and the only
//!   question left is `is_valid`.
//! * libphonenumber's validity of a ten-digit NANP number is decided by a handful of its
//!   metadata regexes (each region's leading digits and number-type patterns, matched at the
//!   start of the national number). For every area code, those regexes' verdicts are decided by
//!   the first six digits (area code and exchange), or seven for the area codes in
//!   [`SEVEN_DIGIT_AREAS`]: the remaining digits are `\d{4}` (or `\d{3}`) in every pattern. So
//!   the verdict of the first number seen with a given prefix holds for every number with that
//!   prefix, and is cached in a small table. The test `prefix_decides_validity` proves this from
//!   the crate's own compiled-in metadata (it walks a DFA of each pattern), so a metadata update
//!   that breaks it fails the build's tests rather than giving wrong answers.
//!
//! Anything else — other countries, other regions, letters, extensions, odd punctuation — goes to
//! the crate unchanged.

use std::cell::RefCell;

use phonenumber::Mode;
use phonenumber::country::Id;

/// The E.164 form of `raw`, read in `region` when it has no `+`, or why it is not a number we
/// can contact.
pub fn parse_e164(raw: &str, region: Id) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("is empty".to_string());
    }
    if let Some(national) = plain_nanp(trimmed, region) {
        return nanp_e164(trimmed, region, &national);
    }
    parse_slow(trimmed, region)
}

/// What the crate itself says (`trimmed` is non-empty and trimmed).
fn parse_slow(trimmed: &str, region: Id) -> Result<String, String> {
    let number = phonenumber::parse(Some(region), trimmed)
        .map_err(|_| format!("is not a phone number (read in region {})", region.as_ref()))?;
    if !phonenumber::is_valid(&number) {
        return Err(invalid(region));
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

fn invalid(region: Id) -> String {
    format!(
        "is not a valid phone number (read in region {})",
        region.as_ref()
    )
}

/// Area codes whose validity needs the first digit of the line number as well (their patterns
/// split exchanges by it). Checked against the metadata by `prefix_decides_validity`.
const SEVEN_DIGIT_AREAS: &[u16] = &[246, 876];

/// Area codes whose validity needs more than seven digits: never cached.
const UNCACHED_AREAS: &[u16] = &[];

/// The ten national digits of `s` if it is plainly a NANP number read in a country-code-1
/// region: `[+]` then digits and single separators (` `, `-`, `.`), an area code optionally in
/// parentheses, ending in a digit; ten digits, or eleven led by `1` (required after `+`); area
/// code starting 2–9.
fn plain_nanp(s: &str, region: Id) -> Option<[u8; 10]> {
    if !matches!(region, Id::US | Id::CA) {
        return None;
    }
    let b = s.as_bytes();
    let (plus, body) = match b.first()? {
        b'+' => (true, &b[1..]),
        _ => (false, b),
    };
    let mut digits = [0u8; 11];
    let mut n = 0;
    let mut prev = b'+'; // what came before: a start counts as a separator
    let mut open = false;
    for &c in body {
        match c {
            b'0'..=b'9' => {
                if n == 11 {
                    return None;
                }
                digits[n] = c;
                n += 1;
            }
            b'(' => {
                // Only at the start of a digit group, never nested.
                if open || prev.is_ascii_digit() {
                    return None;
                }
                open = true;
            }
            b')' => {
                if !open || !prev.is_ascii_digit() {
                    return None;
                }
                open = false;
            }
            b' ' | b'-' | b'.' => {
                // One separator at a time, except after a closing parenthesis.
                if !(prev.is_ascii_digit() || prev == b')') {
                    return None;
                }
            }
            _ => return None,
        }
        prev = c;
    }
    if open || !prev.is_ascii_digit() {
        return None;
    }
    if plus && body.first().is_none_or(|c| !c.is_ascii_digit()) {
        return None;
    }
    let national = match (n, plus) {
        (11, _) if digits[0] == b'1' => &digits[1..11],
        (10, false) => &digits[..10],
        _ => return None,
    };
    if !(b'2'..=b'9').contains(&national[0]) {
        return None;
    }
    national.try_into().ok()
}

const UNKNOWN: u8 = 0;
const VALID: u8 = 1;
const INVALID: u8 = 2;

/// Keys of the verdict table: seven-digit prefixes, 2 bits each (2.5 MB, allocated on first use
/// and touched only where numbers fall).
const KEYS: usize = 10_000_000;

thread_local! {
    static VERDICTS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn nanp_e164(trimmed: &str, region: Id, national: &[u8; 10]) -> Result<String, String> {
    let num = |d: &[u8]| {
        d.iter()
            .fold(0usize, |acc, &c| acc * 10 + usize::from(c - b'0'))
    };
    let area = num(&national[..3]) as u16;
    if UNCACHED_AREAS.contains(&area) {
        return parse_slow(trimmed, region);
    }
    let key = if SEVEN_DIGIT_AREAS.contains(&area) {
        num(&national[..7])
    } else {
        num(&national[..6]) * 10
    };
    let cached = VERDICTS.with_borrow(|t| {
        t.get(key / 4)
            .map_or(UNKNOWN, |byte| (byte >> ((key % 4) * 2)) & 3)
    });
    let e164 = || {
        let mut s = String::with_capacity(12);
        s.push_str("+1");
        s.extend(national.iter().map(|&c| c as char));
        s
    };
    match cached {
        VALID => Ok(e164()),
        INVALID => Err(invalid(region)),
        _ => {
            let result = parse_slow(trimmed, region);
            let verdict = match &result {
                Ok(s) if *s == e164() => VALID,
                Err(why) if *why == invalid(region) => INVALID,
                // Not what the reasoning above predicts: answer, but remember nothing.
                _ => return result,
            };
            VERDICTS.with_borrow_mut(|t| {
                if t.is_empty() {
                    t.resize(KEYS / 4, 0);
                }
                t[key / 4] |= verdict << ((key % 4) * 2);
            });
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_of_one_number_agree() {
        for raw in [
            "416-555-0101",
            "(416) 555-0101",
            "416.555.0101",
            "+1 416 555 0101",
            "14165550101",
        ] {
            assert_eq!(parse_e164(raw, Id::CA).unwrap(), "+14165550101", "{raw}");
        }
    }

    #[test]
    fn rejects_what_cannot_be_dialled() {
        assert!(parse_e164("555-1234", Id::CA).is_err());
        assert!(parse_e164("", Id::CA).is_err());
        assert!(parse_e164("not a number", Id::CA).is_err());
        assert!(parse_e164("+1 111 555 0101", Id::CA).is_err());
    }

    #[test]
    fn other_regions_by_plus() {
        assert_eq!(
            parse_e164("+33 6 12 34 56 78", Id::CA).unwrap(),
            "+33612345678"
        );
    }

    /// libphonenumber's validity for a ten-digit national number with country code 1 (see
    /// `validator::is_valid_with` / `source_for` / `number_type`) is a boolean function of these
    /// regexes, each matched at the start of the number (`find` with `start() == 0`): every NANP
    /// region's `leading_digits` and the national-number pattern of every descriptor that
    /// `number_type` consults. (Descriptors also check the length, which is 10 for all.) So if
    /// each regex's verdict on ten-digit strings is decided by the first k digits, validity is.
    /// This walks a DFA of each pattern and finds, per area code, the k needed.
    #[test]
    fn prefix_decides_validity() {
        use phonenumber::metadata::DATABASE;
        use regex_automata::dfa::{Automaton, dense};
        use regex_automata::util::primitives::StateID;
        use regex_automata::util::start;
        use regex_automata::{Anchored, util::syntax};
        use std::collections::HashMap;

        let metas = DATABASE.by_code(&1).expect("NANP metadata");
        assert!(metas.len() > 20);
        let mut patterns: Vec<String> = Vec::new();
        for m in &metas {
            if let Some(ld) = m.leading_digits() {
                patterns.push(ld.as_str().to_string());
            }
            let d = m.descriptors();
            patterns.push(d.general().national_number().as_str().to_string());
            for desc in [
                d.premium_rate(),
                d.toll_free(),
                d.shared_cost(),
                d.voip(),
                d.personal_number(),
                d.pager(),
                d.uan(),
                d.voicemail(),
                d.fixed_line(),
                d.mobile(),
            ]
            .into_iter()
            .flatten()
            {
                patterns.push(desc.national_number().as_str().to_string());
            }
        }
        patterns.sort();
        patterns.dedup();

        // Digits needed per area code (index = the three-digit area code).
        let mut need = vec![3usize; 1000];
        for pat in &patterns {
            // "Matches at the start" over digit strings = the whole string matches P[0-9]*.
            let dfa = dense::Builder::new()
                // The crate compiles its metadata patterns with whitespace ignored.
                .syntax(
                    syntax::Config::new()
                        .unicode(false)
                        .utf8(false)
                        .ignore_whitespace(true),
                )
                .build(&format!("(?:{pat}\n)[0-9]*$"))
                .unwrap_or_else(|e| panic!("{pat}: {e}"));
            let start = dfa
                .start_state(&start::Config::new().anchored(Anchored::Yes))
                .unwrap();
            // accepts(s, r): Some(true/false) if every / no digit string of length r from s
            // matches, None if it depends on those digits.
            let mut memo: HashMap<(StateID, usize), Option<bool>> = HashMap::new();
            fn decided(
                dfa: &dense::DFA<Vec<u32>>,
                memo: &mut HashMap<(StateID, usize), Option<bool>>,
                s: StateID,
                r: usize,
            ) -> Option<bool> {
                if let Some(&v) = memo.get(&(s, r)) {
                    return v;
                }
                let v = if r == 0 {
                    Some(dfa.is_match_state(dfa.next_eoi_state(s)))
                } else {
                    let mut all = None;
                    let mut same = true;
                    for b in b'0'..=b'9' {
                        let v = decided(dfa, memo, dfa.next_state(s, b), r - 1);
                        match (v, all) {
                            (None, _) => same = false,
                            (Some(v), None) => all = Some(v),
                            (Some(v), Some(a)) => same &= v == a,
                        }
                        if !same {
                            break;
                        }
                    }
                    if same { all } else { None }
                };
                memo.insert((s, r), v);
                v
            }
            // Digits still needed after `depth` digits have led to `s`.
            fn more(
                dfa: &dense::DFA<Vec<u32>>,
                memo: &mut HashMap<(StateID, usize), Option<bool>>,
                more_memo: &mut HashMap<(StateID, usize), usize>,
                s: StateID,
                depth: usize,
            ) -> usize {
                if let Some(&k) = more_memo.get(&(s, depth)) {
                    return k;
                }
                let k = if decided(dfa, memo, s, 10 - depth).is_some() {
                    0
                } else {
                    1 + (b'0'..=b'9')
                        .map(|b| more(dfa, memo, more_memo, dfa.next_state(s, b), depth + 1))
                        .max()
                        .unwrap()
                };
                more_memo.insert((s, depth), k);
                k
            }
            let mut more_memo = HashMap::new();
            for (area, need) in need.iter_mut().enumerate().skip(200) {
                let mut s = start;
                for b in area.to_string().bytes() {
                    s = dfa.next_state(s, b);
                }
                let k = 3 + more(&dfa, &mut memo, &mut more_memo, s, 3);
                *need = (*need).max(k);
            }
        }
        let seven: Vec<usize> = (200..1000).filter(|&a| need[a] == 7).collect();
        let more_than_seven: Vec<usize> = (200..1000).filter(|&a| need[a] > 7).collect();
        for area in 200..1000u16 {
            let k = need[area as usize];
            if UNCACHED_AREAS.contains(&area) {
                continue;
            }
            let allowed = if SEVEN_DIGIT_AREAS.contains(&area) {
                7
            } else {
                6
            };
            assert!(
                k <= allowed,
                "area {area} needs {k} digits; seven: {seven:?}; more: {more_than_seven:?}"
            );
        }
    }

    /// The fast path (cache hits and misses) against the crate itself, over every area code,
    /// exchanges across the range, several line numbers, formats and both NANP regions.
    #[test]
    fn fast_path_agrees_with_the_crate() {
        let formats: [fn(&str, &str, &str) -> String; 7] = [
            |a, e, l| format!("{a}-{e}-{l}"),
            |a, e, l| format!("({a}) {e}-{l}"),
            |a, e, l| format!("+1 {a} {e} {l}"),
            |a, e, l| format!("{a}.{e}.{l}"),
            |a, e, l| format!("1{a}{e}{l}"),
            |a, e, l| format!("+1 ({a})-{e}.{l}"),
            |a, e, l| format!("1 ({a}) {e} {l}"),
        ];
        let mut x: u32 = 12345;
        let mut rand = |n: u32| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 8) % n
        };
        let mut checked = 0;
        for area in 200..1000u32 {
            for i in 0..4u32 {
                let exchange = match i {
                    0 => 555,
                    1 => rand(200),
                    _ => 200 + rand(800),
                };
                for j in 0..2u32 {
                    let line = if area == 246 || area == 876 {
                        j * 1000 + rand(1000)
                    } else {
                        rand(10_000)
                    };
                    let (a, e, l) = (
                        area.to_string(),
                        format!("{exchange:03}"),
                        format!("{line:04}"),
                    );
                    let raw = formats[rand(7) as usize](&a, &e, &l);
                    let region = if rand(2) == 0 { Id::CA } else { Id::US };
                    assert!(plain_nanp(&raw, region).is_some(), "{raw}");
                    assert_eq!(parse_e164(&raw, region), parse_slow(&raw, region), "{raw}");
                    checked += 1;
                }
            }
        }
        // Every line-number first digit where it matters (Barbados mobiles, Jamaica).
        for area in [246, 876] {
            for exchange in [521, 522, 520, 658, 350, 450] {
                for d in 0..10 {
                    let raw = format!("{area}{exchange}{d}123");
                    assert_eq!(parse_e164(&raw, Id::CA), parse_slow(&raw, Id::CA), "{raw}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 6000);
    }

    #[test]
    fn only_plain_nanp_shapes_take_the_fast_path() {
        for raw in [
            "4165550101",
            "(416)555-0101",
            "1-416-555-0101",
            "+14165550101",
            "+1 (416) 555 0101",
            "1 416.555.0101",
        ] {
            assert!(plain_nanp(raw, Id::CA).is_some(), "{raw}");
            assert_eq!(parse_e164(raw, Id::CA), parse_slow(raw, Id::CA), "{raw}");
        }
        for raw in [
            "416--555-0101",
            "(416 555-0101",
            "416) 555-0101",
            "((416)) 555-0101",
            "+ 1 416 555 0101",
            "416-555-0101-",
            "-416-555-0101",
            "416-555-0101 x12",
            "1 416 555 01011",
            "24165550101",
            "+4165550101",
            "0165550101",
            "1165550101",
            "011 33 6 12 34 56 78",
            "416 555 0101 ext 2",
            "４１６5550101",
        ] {
            assert!(plain_nanp(raw, Id::CA).is_none(), "{raw}");
            // And whatever the crate says stands.
            assert_eq!(parse_e164(raw, Id::CA), parse_slow(raw, Id::CA), "{raw}");
        }
        assert!(plain_nanp("4165550101", Id::FR).is_none());
        assert!(plain_nanp("4165550101", Id::JM).is_none());
    }
}
