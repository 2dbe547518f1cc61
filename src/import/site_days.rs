//! Rows per (site, local date), counted once for every row of a file: what the import's summary
//! prints per day, and which days a snapshot file speaks for.
//!
//! A map keyed by (site name, date) compared the site's text at every level of the tree for
//! every row (a tenth of the storing thread on a 1M-row file, all of it comparing ""
//! with ""). A file names a handful of sites, so each row finds its site's number by a short
//! search (`text::same`: comparing "" with "" is slow here), and the tree compares integers.

use std::collections::BTreeMap;

use chrono::NaiveDate;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SiteDays {
    /// Site names in the order first seen; a row's site is its position here.
    sites: Vec<String>,
    counts: BTreeMap<(usize, NaiveDate), u64>,
}

impl SiteDays {
    pub fn add(&mut self, site: &str, date: NaiveDate) {
        let i = match self.sites.iter().position(|s| crate::text::same(s, site)) {
            Some(i) => i,
            None => {
                self.sites.push(site.to_string());
                self.sites.len() - 1
            }
        };
        *self.counts.entry((i, date)).or_default() += 1;
    }

    /// ((site, date), rows), by site name then date.
    pub fn iter(&self) -> impl Iterator<Item = ((&str, NaiveDate), u64)> {
        let mut all: Vec<_> = self
            .counts
            .iter()
            .map(|(&(i, date), &n)| ((self.sites[i].as_str(), date), n))
            .collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn counts_each_site_and_day_in_name_then_date_order() {
        let mut s = SiteDays::default();
        assert_eq!(s.iter().count(), 0);
        for (site, day) in [
            ("west", 26),
            ("", 25),
            ("west", 25),
            ("", 25),
            ("bloor", 27),
            ("west", 26),
        ] {
            s.add(site, d(day));
        }
        let got: Vec<_> = s.iter().collect();
        assert_eq!(
            got,
            [
                (("", d(25)), 2),
                (("bloor", d(27)), 1),
                (("west", d(25)), 1),
                (("west", d(26)), 2),
            ]
        );
    }
}
