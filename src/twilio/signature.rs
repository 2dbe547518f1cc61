//! `X-Twilio-Signature` (Twilio's "Webhooks security" page): HMAC-SHA1, keyed with the auth
//! token, over the full public URL followed by every form parameter sorted by name then value,
//! base64 with padding. Checked in constant time, against the URL both with and without the
//! scheme's default port because Twilio signs either form.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The MAC over `url` and the sorted parameters, ready to finalise or verify.
fn mac(token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut mac =
        HmacSha1::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    // Sorted by name, then value; a repeated (name, value) pair counts once, as in the official
    // SDKs (they sort a set of the values).
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    mac
}

/// The signature Twilio would send for a POST of `params` to `url`. The listener only validates;
/// this is for the demo's simulated Twilio, which signs the callbacks it sends.
pub fn compute(token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(token, url, params).finalize().into_bytes())
}

/// Whether `signature` is valid for `url` (as Twilio requested it, query included) and `params`.
pub fn validate(token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    let (with, without) = port_variants(url);
    // Both are computed, so the time taken does not say which form matched.
    let a = mac(token, &with, params).verify_slice(&given).is_ok();
    let b = mac(token, &without, params).verify_slice(&given).is_ok();
    a | b
}

/// `url` with the scheme's default port made explicit, and with it removed. Other ports stay.
fn port_variants(url: &str) -> (String, String) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), url.to_string());
    };
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return (url.to_string(), url.to_string()),
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // A port follows the last ':' that comes after any IPv6 bracket.
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    let (host, port) = match authority[host_end..].rfind(':') {
        Some(i) => (
            &authority[..host_end + i],
            Some(&authority[host_end + i + 1..]),
        ),
        None => (authority, None),
    };
    match port {
        None => (
            format!("{scheme}://{host}:{default}{tail}"),
            url.to_string(),
        ),
        Some(p) if p == default => (url.to_string(), format!("{scheme}://{host}{tail}")),
        Some(_) => (url.to_string(), url.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn first_params() -> Vec<(String, String)> {
        p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ])
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn official_vector_basic() {
        assert_eq!(
            compute("12345", URL, &first_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(validate(
            "12345",
            URL,
            &first_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn official_vector_default_port_either_way() {
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(
            compute("12345", with_port, &first_params()),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert!(validate(
            "12345",
            with_port,
            &first_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(validate(
            "12345",
            with_port,
            &first_params(),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        ));
        assert!(validate(
            "12345",
            URL,
            &first_params(),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        ));
    }

    #[test]
    fn official_vector_http_signed_with_port_80() {
        let url = "http://mycompany.com/myapp.php?foo=1&bar=2";
        assert!(validate(
            "12345",
            url,
            &first_params(),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        ));
    }

    #[test]
    fn official_vector_other_port_is_kept() {
        let url = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert_eq!(
            compute("12345", url, &first_params()),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
        assert!(validate(
            "12345",
            url,
            &first_params(),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        ));
    }

    #[test]
    fn official_vector_repeated_names_sorted_by_value() {
        let params = p(&[
            ("A", "1"),
            ("StatusCallbackEvent", "ringing"),
            ("StatusCallbackEvent", "initiated"),
        ]);
        assert_eq!(
            compute("12345", "https://example.com/cb", &params),
            "SNqvQQ/c5z+1kL8encDZaSdGjm0="
        );
    }

    #[test]
    fn official_vector_repeated_values_count_once() {
        let params = p(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            compute("12345", URL, &params),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn official_vector_call_status() {
        let token = "f".repeat(32);
        let params = p(&[
            ("AccountSid", &format!("AC{}", "a".repeat(32))),
            ("CallSid", &format!("CA{}", "b".repeat(32))),
            ("CallStatus", "completed"),
            ("CallDuration", "23"),
            ("AnsweredBy", "human"),
            ("To", "+16135550100"),
            ("From", "+16135550000"),
        ]);
        let url = "https://rem.example.ca/twilio/call-status";
        assert_eq!(
            compute(&token, url, &params),
            "4ABtQCBeLkbf3EsqTilaIwtmPY8="
        );
    }

    #[test]
    fn official_vector_utf8_body() {
        let token = "f".repeat(32);
        let params = p(&[
            ("Body", "Rappel : rendez-vous à 9 h — répondez C"),
            ("From", "+16135550100"),
            ("To", "+16135550000"),
            ("MessageSid", &format!("SM{}", "c".repeat(32))),
        ]);
        let url = "https://rem.example.ca/twilio/sms-inbound";
        assert_eq!(
            compute(&token, url, &params),
            "vcxm87/M0qD6D26MaKfVzSUKp9w="
        );
    }

    #[test]
    fn official_vector_json_body_url_only() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        assert_eq!(compute("12345", url, &[]), "a9nBmqA0ju/hNViExpshrM61xv4=");
    }

    #[test]
    fn rejects_tampering_wrong_token_and_garbage() {
        let mut params = first_params();
        assert!(!validate(
            "54321",
            URL,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!validate("12345", URL, &params, "not base64!"));
        assert!(!validate("12345", URL, &params, ""));
        params[2].1 = "9999".into();
        assert!(!validate(
            "12345",
            URL,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!validate(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &first_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn port_variants_cover_ipv6_and_queries() {
        assert_eq!(
            port_variants("https://[::1]/x?a=b:c"),
            (
                "https://[::1]:443/x?a=b:c".into(),
                "https://[::1]/x?a=b:c".into()
            )
        );
        assert_eq!(
            port_variants("http://h:80"),
            ("http://h:80".into(), "http://h".into())
        );
    }
}
