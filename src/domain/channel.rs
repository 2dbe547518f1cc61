//! How a patient is reached (docs/behaviour.md, "Channels").

/// Who is contacted, and how, when neither preference column says yes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultChannel {
    Call,
    Sms,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Sms,
    Call,
    /// Neither preference is yes and the clinic's default is to contact nobody.
    None,
}

/// Shown as the word it is stored as (`"sms"`), in `--json` and `--csv` views.
impl serde::Serialize for Channel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Call => "call",
            Channel::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "sms" => Some(Channel::Sms),
            "call" => Some(Channel::Call),
            "none" => Some(Channel::None),
            _ => None,
        }
    }
}

/// Text preference wins, then phone preference, then the configured default.
pub fn choose(text_preference: bool, phone_preference: bool, default: DefaultChannel) -> Channel {
    if text_preference {
        Channel::Sms
    } else if phone_preference {
        Channel::Call
    } else {
        match default {
            DefaultChannel::Call => Channel::Call,
            DefaultChannel::Sms => Channel::Sms,
            DefaultChannel::None => Channel::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_order() {
        use DefaultChannel as D;
        assert_eq!(choose(true, true, D::Call), Channel::Sms);
        assert_eq!(choose(true, false, D::None), Channel::Sms);
        assert_eq!(choose(false, true, D::Sms), Channel::Call);
        assert_eq!(choose(false, false, D::Call), Channel::Call);
        assert_eq!(choose(false, false, D::Sms), Channel::Sms);
        assert_eq!(choose(false, false, D::None), Channel::None);
    }
}
