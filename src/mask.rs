//! Patient phone numbers are health data: anything printed for people shows them masked.

/// `+14165550123` → `+1416***0123`. Short or odd input is masked all the more.
pub fn phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() >= 10 && chars[0] == '+' {
        let head: String = chars[..5].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}***{tail}")
    } else if chars.len() >= 8 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("***{tail}")
    } else if chars.len() > 4 {
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("***{tail}")
    } else {
        "***".to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_the_middle_of_a_number() {
        assert_eq!(super::phone("+14165550123"), "+1416***0123");
        assert_eq!(super::phone("555-1234"), "***1234");
        assert_eq!(super::phone("613-555-0104"), "***0104");
        assert_eq!(super::phone("5551234"), "***34");
        assert_eq!(super::phone("123"), "***");
        assert_eq!(super::phone(""), "***");
    }
}
