//! A strict `application/x-www-form-urlencoded` parser: a body that is not valid percent-encoding
//! of UTF-8 is refused (400) rather than silently repaired, because the signature is computed over
//! the decoded values and a lossy repair could make two different bodies look alike.

#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

/// Every `name=value` pair in order, `+` and `%xx` decoded. Empty segments (`a=1&&b=2`) are skipped
/// as browsers and Twilio's SDKs do.
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>, Malformed> {
    let mut out = Vec::new();
    for segment in body.split(|b| *b == b'&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match segment.iter().position(|b| *b == b'=') {
            Some(i) => (&segment[..i], &segment[i + 1..]),
            None => (segment, &segment[segment.len()..]),
        };
        out.push((decode(name)?, decode(value)?));
    }
    Ok(out)
}

fn decode(raw: &[u8]) -> Result<String, Malformed> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = raw
                    .get(i + 1..i + 3)
                    .ok_or(Malformed("truncated %-escape"))?;
                let hi = hex_value(hex[0]).ok_or(Malformed("bad %-escape"))?;
                let lo = hex_value(hex[1]).ok_or(Malformed("bad %-escape"))?;
                bytes.push(hi << 4 | lo);
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    String::from_utf8(bytes).map_err(|_| Malformed("not UTF-8"))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The first value of `name`, if any.
pub fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The parameters as a JSON object for the audit trail; a repeated name becomes an array.
pub fn to_json(params: &[(String, String)]) -> String {
    let mut map = serde_json::Map::new();
    for (k, v) in params {
        let value = serde_json::Value::String(v.clone());
        match map.get_mut(k) {
            None => {
                map.insert(k.clone(), value);
            }
            Some(serde_json::Value::Array(list)) => list.push(value),
            Some(first) => {
                let first = first.take();
                map.insert(k.clone(), serde_json::Value::Array(vec![first, value]));
            }
        }
    }
    serde_json::Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_utf8() {
        let p = parse(b"Body=Rappel+%3A+%C3%A0+9+h&From=%2B16135550100&&Flag").unwrap();
        assert_eq!(
            p,
            vec![
                ("Body".into(), "Rappel : à 9 h".into()),
                ("From".into(), "+16135550100".into()),
                ("Flag".into(), String::new()),
            ]
        );
    }

    #[test]
    fn refuses_bad_escapes_and_bad_utf8() {
        assert!(parse(b"a=%zz").is_err());
        assert!(parse(b"a=%4").is_err());
        assert!(parse(b"a=%ff%fe").is_err());
        assert!(parse(b"a=\xff").is_err());
    }

    #[test]
    fn json_keeps_repeats() {
        let p = parse(b"A=1&E=ringing&E=initiated").unwrap();
        assert_eq!(to_json(&p), r#"{"A":"1","E":["ringing","initiated"]}"#);
    }
}
