//! Which site a row belongs to: the clinic column's value matched against each
//! site's names, case-insensitively and ignoring surrounding spaces. Without sites, every row is
//! the one site, in the clinic's zone, and the clinic column is plain data.

use chrono_tz::Tz;

#[derive(Clone, Debug)]
struct Entry {
    key: String,
    names: Vec<String>,
    tz: Tz,
}

#[derive(Clone, Debug)]
pub struct SiteTable {
    sites: Vec<Entry>,
    default_tz: Tz,
}

impl SiteTable {
    /// One site only: the top-level settings.
    pub fn single(tz: Tz) -> SiteTable {
        SiteTable {
            sites: Vec::new(),
            default_tz: tz,
        }
    }

    pub fn add(&mut self, key: &str, names: &[String], tz: Tz) {
        let mut names: Vec<String> = names.iter().map(|n| fold(n)).collect();
        names.push(fold(key));
        self.sites.push(Entry {
            key: key.to_string(),
            names,
            tz,
        });
    }

    pub fn is_single(&self) -> bool {
        self.sites.is_empty()
    }

    /// The site (its key, '' when there is one site) and zone of a row whose clinic column says
    /// `clinic`, or why none matches.
    pub fn pick(&self, clinic: Option<&str>) -> Result<(&str, Tz), String> {
        if self.sites.is_empty() {
            return Ok(("", self.default_tz));
        }
        let value = clinic.unwrap_or("").trim();
        let wanted = fold(value);
        self.sites
            .iter()
            .find(|s| s.names.contains(&wanted))
            .map(|s| (s.key.as_str(), s.tz))
            .ok_or_else(|| {
                let known: Vec<&str> = self.sites.iter().map(|s| s.key.as_str()).collect();
                if value.is_empty() {
                    format!(
                        "clinic is empty: the row names no site (configured sites: {})",
                        known.join(", ")
                    )
                } else {
                    format!(
                        "clinic '{value}' names no configured site (sites: {}; add the value to a site's `names`)",
                        known.join(", ")
                    )
                }
            })
    }

    /// The zone of a site by its key ('' or unknown: the clinic's).
    pub fn zone(&self, key: &str) -> Tz {
        self.sites
            .iter()
            .find(|s| s.key == key)
            .map_or(self.default_tz, |s| s.tz)
    }
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clinic_column_picks_the_site() {
        let mut t = SiteTable::single(chrono_tz::America::Toronto);
        assert_eq!(t.pick(Some("anything")).unwrap().0, "");
        t.add(
            "bloor",
            &["Bloor".into(), "Bloor St Clinic".into()],
            chrono_tz::America::Toronto,
        );
        t.add("west", &["Kitsilano".into()], chrono_tz::America::Vancouver);
        assert_eq!(t.pick(Some("  bloor st clinic ")).unwrap().0, "bloor");
        assert_eq!(
            t.pick(Some("KITSILANO")).unwrap(),
            ("west", chrono_tz::America::Vancouver)
        );
        assert_eq!(t.pick(Some("west")).unwrap().0, "west");
        let err = t.pick(Some("Danforth")).unwrap_err();
        assert!(
            err.contains("'Danforth'") && err.contains("bloor, west"),
            "{err}"
        );
        assert!(t.pick(None).unwrap_err().contains("clinic is empty"));
    }
}
