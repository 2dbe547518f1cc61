//! Which way a slash date such as `01/02/2026` reads.

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
}
