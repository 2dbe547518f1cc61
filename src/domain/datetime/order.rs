//! Which way a slash date such as `01/02/2026` reads, and `dates = "auto"`: one order
//! for a whole file, the one under which more of its slash dates are real dates.

use std::cmp::Ordering;

use chrono::NaiveDate;

/// How a slash date such as `01/02/2026` reads. Whatever the order, a date that starts with a
/// four-digit year (`2026/11/25`) reads year-first, and a dotted date (`25.11.2026`) day-first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashOrder {
    MonthFirst,
    DayFirst,
    /// `26/11/25` is 2026-11-25.
    YearFirst,
}

impl SlashOrder {
    /// The order a configuration word names: "mdy", "dmy" or "ymd", in any case.
    pub fn from_word(word: &str) -> Option<SlashOrder> {
        let word = word.trim();
        [
            SlashOrder::MonthFirst,
            SlashOrder::DayFirst,
            SlashOrder::YearFirst,
        ]
        .into_iter()
        .find(|order| order.as_word().eq_ignore_ascii_case(word))
    }

    /// The configuration word: "mdy", "dmy" or "ymd".
    pub fn as_word(self) -> &'static str {
        match self {
            SlashOrder::MonthFirst => "mdy",
            SlashOrder::DayFirst => "dmy",
            SlashOrder::YearFirst => "ymd",
        }
    }

    /// How a person says it: "month-first (mdy)".
    pub fn describe(self) -> &'static str {
        match self {
            SlashOrder::MonthFirst => "month-first (mdy)",
            SlashOrder::DayFirst => "day-first (dmy)",
            SlashOrder::YearFirst => "year-first (ymd)",
        }
    }

    fn name(self) -> &'static str {
        match self {
            SlashOrder::MonthFirst => "month-first",
            SlashOrder::DayFirst => "day-first",
            SlashOrder::YearFirst => "year-first",
        }
    }
}

/// What one date or date-time value says about its file's slash order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Not a slash or dash date with the year last: ISO, year-first (`2026/11/25`), dotted
    /// (always day-first), a month name, an Excel number, anything unreadable.
    NotSlash,
    /// A real date read either way (`01/02/2026`).
    Both,
    /// A real date only read month-first (`11/25/2026`).
    MonthFirstOnly,
    /// A real date only read day-first (`25/11/2026`).
    DayFirstOnly,
    /// A real date neither way (`13/45/2026`): a failed row whatever the order.
    Neither,
}

/// What `raw` says about the order, from its leading `a/b/yyyy`, `a/b/yy` or the same with `-`,
/// the dates `parse_date` reads by the order. Reads a dozen bytes and allocates nothing: it runs
/// over every row of a file before the file's rows are read.
pub fn slash_evidence(raw: &str) -> Evidence {
    let mut rest = raw.trim_ascii_start().as_bytes();
    let (first, n) = take_number(&mut rest);
    let sep = match rest.first() {
        Some(&sep @ (b'/' | b'-')) if (1..=2).contains(&n) => sep,
        _ => return Evidence::NotSlash,
    };
    rest = &rest[1..];
    let (second, n) = take_number(&mut rest);
    if !(1..=2).contains(&n) || rest.first() != Some(&sep) {
        return Evidence::NotSlash;
    }
    rest = &rest[1..];
    let (year, n) = take_number(&mut rest);
    if !matches!(n, 2 | 4) || rest.first().is_some_and(|b| !b.is_ascii_whitespace()) {
        return Evidence::NotSlash;
    }
    let year = year as i32 + if n == 2 { 2000 } else { 0 };
    let real = |month, day| NaiveDate::from_ymd_opt(year, month, day).is_some();
    match (real(first, second), real(second, first)) {
        (true, true) => Evidence::Both,
        (true, false) => Evidence::MonthFirstOnly,
        (false, true) => Evidence::DayFirstOnly,
        (false, false) => Evidence::Neither,
    }
}

/// The leading run of digits of `rest` (its value from at most its first four) and its length.
fn take_number(rest: &mut &[u8]) -> (u32, usize) {
    let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let value = rest[..n.min(4)]
        .iter()
        .fold(0, |acc, &d| acc * 10 + u32::from(d - b'0'));
    *rest = &rest[n..];
    (value, n)
}

/// The evidence of a file's slash dates, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderTally {
    /// Real dates only month-first.
    pub month_first: u64,
    /// Real dates only day-first.
    pub day_first: u64,
    /// Real dates either way: they decide nothing.
    pub either: u64,
    /// Real dates neither way: they decide nothing, and their rows fail.
    pub neither: u64,
}

/// The order a file's slash dates read, and a sentence for the import summary saying why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub order: SlashOrder,
    pub reason: String,
}

impl OrderTally {
    pub fn add(&mut self, evidence: Evidence) {
        match evidence {
            Evidence::NotSlash => {}
            Evidence::Both => self.either += 1,
            Evidence::MonthFirstOnly => self.month_first += 1,
            Evidence::DayFirstOnly => self.day_first += 1,
            Evidence::Neither => self.neither += 1,
        }
    }

    /// The order under which more of the file's slash dates are real dates; `fallback` (the
    /// configured slash_dates) on a tie or when no slash date decides. A date real either way
    /// counts for both orders and one real neither way for none, so only the "only" counts weigh.
    pub fn decide(&self, fallback: SlashOrder) -> Decision {
        let order = match self.month_first.cmp(&self.day_first) {
            Ordering::Greater => SlashOrder::MonthFirst,
            Ordering::Less => SlashOrder::DayFirst,
            Ordering::Equal => fallback,
        };
        // The chosen order's count first.
        let month_first = (self.month_first, "only month-first");
        let day_first = (self.day_first, "only day-first");
        let mut counts = Vec::with_capacity(4);
        if self.month_first + self.day_first > 0 {
            counts.extend(if order == SlashOrder::DayFirst {
                [day_first, month_first]
            } else {
                [month_first, day_first]
            });
        }
        counts.extend(
            [(self.either, "either way"), (self.neither, "neither way")]
                .into_iter()
                .filter(|&(n, _)| n > 0),
        );
        let counts = say_counts(&counts);
        let reason = if self.month_first != self.day_first {
            format!("{}: {counts}", order.describe())
        } else {
            let said = format!(
                "{} ({}, the configured slash_dates)",
                fallback.name(),
                fallback.as_word()
            );
            if self.month_first > 0 {
                format!("{said}: a tie, {counts}")
            } else if counts.is_empty() {
                format!("{said}: the file has no slash dates")
            } else {
                format!("{said}: no slash date decides, {counts}")
            }
        };
        Decision { order, reason }
    }
}

/// "42 slash dates read only day-first, 0 only month-first, 958 either way".
fn say_counts(counts: &[(u64, &str)]) -> String {
    let mut said = Vec::with_capacity(counts.len());
    for (i, &(n, how)) in counts.iter().enumerate() {
        said.push(match (i, n) {
            (0, 1) => format!("1 slash date reads {how}"),
            (0, _) => format!("{n} slash dates read {how}"),
            _ => format!("{n} {how}"),
        });
    }
    said.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_name_orders_both_ways() {
        for (word, order) in [
            ("mdy", SlashOrder::MonthFirst),
            ("dmy", SlashOrder::DayFirst),
            ("ymd", SlashOrder::YearFirst),
        ] {
            assert_eq!(SlashOrder::from_word(word), Some(order));
            assert_eq!(SlashOrder::from_word(&word.to_uppercase()), Some(order));
            assert_eq!(order.as_word(), word);
        }
        for word in ["", "auto", "md", "ydm", "m/d/y"] {
            assert_eq!(SlashOrder::from_word(word), None, "{word}");
        }
        assert_eq!(SlashOrder::DayFirst.describe(), "day-first (dmy)");
    }

    #[test]
    fn each_value_says_which_orders_make_it_a_real_date() {
        use Evidence::*;
        for (s, want) in [
            ("01/02/2026", Both),
            ("11/25/2026", MonthFirstOnly),
            ("25/11/2026", DayFirstOnly),
            ("13/45/2026", Neither),
            ("02/29/2027", Neither),
            ("29/02/2028", DayFirstOnly),
            ("11/25/2026 9:30 AM", MonthFirstOnly),
            (" 25/11/26 14:00", DayFirstOnly),
            ("1/2/26", Both),
            ("11-25-2026", MonthFirstOnly),
            ("25-11-2026 09:30", DayFirstOnly),
            // Not evidence: the form fixes the order, or there is no slash date.
            ("2026/11/25", NotSlash),
            ("2026-11-25 09:30", NotSlash),
            ("25.11.2026", NotSlash),
            ("Nov 25, 2026", NotSlash),
            ("25/Nov/2026", NotSlash),
            ("46351", NotSlash),
            ("", NotSlash),
            ("1/2/3", NotSlash),
            ("111/25/2026", NotSlash),
            ("11/25/20266", NotSlash),
            ("11/25/2026x", NotSlash),
            ("11/25-2026", NotSlash),
            ("11/25", NotSlash),
        ] {
            assert_eq!(slash_evidence(s), want, "{s:?}");
        }
    }

    #[test]
    fn evidence_agrees_with_parse_date() {
        let (mdy, dmy) = (SlashOrder::MonthFirst, SlashOrder::DayFirst);
        for year in ["2026", "2028", "26"] {
            for a in 0..=32 {
                for b in 0..=32 {
                    for sep in ['/', '-'] {
                        let s = format!("{a}{sep}{b:02}{sep}{year}");
                        let reads = |order| crate::domain::datetime::parse_date(&s, order).is_ok();
                        let want = match (reads(mdy), reads(dmy)) {
                            (true, true) => Evidence::Both,
                            (true, false) => Evidence::MonthFirstOnly,
                            (false, true) => Evidence::DayFirstOnly,
                            (false, false) => Evidence::Neither,
                        };
                        assert_eq!(slash_evidence(&s), want, "{s}");
                    }
                }
            }
        }
    }

    fn tally(values: &[&str]) -> OrderTally {
        let mut tally = OrderTally::default();
        for value in values {
            tally.add(slash_evidence(value));
        }
        tally
    }

    #[test]
    fn the_order_more_dates_read_by_wins() {
        let mut values = vec!["25/11/2026 9:30"; 42];
        values.extend(["01/02/2026 10:00"; 3]);
        values.extend(["13/45/2026 9:30", "2026-11-25 09:30", "Nov 25, 2026 9:30"]);
        let decision = tally(&values).decide(SlashOrder::MonthFirst);
        assert_eq!(decision.order, SlashOrder::DayFirst);
        assert_eq!(
            decision.reason,
            "day-first (dmy): 42 slash dates read only day-first, 0 only month-first, \
             3 either way, 1 neither way"
        );
        let decision =
            tally(&["11/25/2026", "25/11/2026", "12/31/2026"]).decide(SlashOrder::DayFirst);
        assert_eq!(decision.order, SlashOrder::MonthFirst);
        assert_eq!(
            decision.reason,
            "month-first (mdy): 2 slash dates read only month-first, 1 only day-first"
        );
        let one = tally(&["25/11/2026"]).decide(SlashOrder::MonthFirst);
        assert_eq!(
            one.reason,
            "day-first (dmy): 1 slash date reads only day-first, 0 only month-first"
        );
    }

    #[test]
    fn garbage_a_tie_or_no_deciding_date_leaves_the_configured_order() {
        for fallback in [SlashOrder::MonthFirst, SlashOrder::DayFirst] {
            // 13/45/2026 is no date either way: it decides nothing, even alone.
            for values in [
                &["13/45/2026"][..],
                &["01/02/2026", "13/45/2026", "03/04/2026"],
                &["11/25/2026", "25/11/2026"],
                &["2026-11-25 09:30", "25.11.2026"],
                &[],
            ] {
                assert_eq!(tally(values).decide(fallback).order, fallback, "{values:?}");
            }
        }
        let reason = |values: &[&str]| tally(values).decide(SlashOrder::MonthFirst).reason;
        assert_eq!(
            reason(&["01/02/2026", "13/45/2026", "03/04/2026"]),
            "month-first (mdy, the configured slash_dates): no slash date decides, \
             2 slash dates read either way, 1 neither way"
        );
        assert_eq!(
            reason(&["11/25/2026", "25/11/2026", "01/02/2026"]),
            "month-first (mdy, the configured slash_dates): a tie, \
             1 slash date reads only month-first, 1 only day-first, 1 either way"
        );
        assert_eq!(
            tally(&["11/25/2026", "25/11/2026"])
                .decide(SlashOrder::DayFirst)
                .reason,
            "day-first (dmy, the configured slash_dates): a tie, \
             1 slash date reads only day-first, 1 only month-first"
        );
        assert_eq!(
            reason(&["2026-11-25 09:30"]),
            "month-first (mdy, the configured slash_dates): the file has no slash dates"
        );
    }
}
