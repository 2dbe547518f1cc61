//! Phone numbers to E.164 with libphonenumber's rules (the `phonenumber` crate).

use phonenumber::Mode;
use phonenumber::country::Id;

/// The E.164 form of `raw`, read in `region` when it has no `+`, or why it is not a number we
/// can contact.
pub fn parse_e164(raw: &str, region: Id) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("is empty".to_string());
    }
    let number = phonenumber::parse(Some(region), trimmed)
        .map_err(|_| format!("is not a phone number (read in region {})", region.as_ref()))?;
    if !phonenumber::is_valid(&number) {
        return Err(format!(
            "is not a valid phone number (read in region {})",
            region.as_ref()
        ));
    }
    Ok(number.format().mode(Mode::E164).to_string())
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
}
