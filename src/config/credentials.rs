//! What a command needs to talk to Twilio, kept out of every printout: the auth token is a
//! `Secret`, and the credentials are checked only by the commands that contact anyone.

use std::fmt;

use anyhow::Result;

use super::Config;
use crate::exit::usage;

/// A string that never prints.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("\"[redacted]\"")
        }
    }
}

/// What is needed to talk to Twilio; only `send`-like commands ask for it.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub account_sid: String,
    pub auth_token: Secret,
    pub phone_number: String,
    pub api_base: String,
    pub messaging_api_base: String,
    pub public_url: String,
    pub timeout: std::time::Duration,
}

impl Config {
    /// The Twilio settings every contacting command needs, or a usage error naming what is missing.
    pub fn credentials(&self) -> Result<Credentials> {
        let mut missing = Vec::new();
        if self.twilio.account_sid.is_empty() {
            missing.push("TWILIO_ACCOUNT_SID (twilio.account_sid)");
        }
        if self.twilio.auth_token.is_empty() {
            missing.push("TWILIO_AUTH_TOKEN (twilio.auth_token)");
        }
        if self.twilio.phone_number.is_empty() {
            missing.push("TWILIO_PHONE_NUMBER (twilio.phone_number)");
        }
        if self.webhook.public_url.is_none() {
            missing.push("REMINDERS_PUBLIC_URL (webhook.public_url)");
        }
        if !missing.is_empty() {
            return Err(usage(format!(
                "cannot contact Twilio: missing {}",
                missing.join(", ")
            )));
        }
        let phone = crate::domain::phone::parse_e164(&self.twilio.phone_number, self.region)
            .map_err(|why| usage(format!("TWILIO_PHONE_NUMBER (twilio.phone_number): {why}")))?;
        Ok(Credentials {
            account_sid: self.twilio.account_sid.clone(),
            auth_token: self.twilio.auth_token.clone(),
            phone_number: phone,
            api_base: self.twilio.api_base.clone(),
            messaging_api_base: self.twilio.messaging_api_base.clone(),
            public_url: self.webhook.public_url.clone().unwrap_or_default(),
            timeout: self.twilio.timeout,
        })
    }
}
