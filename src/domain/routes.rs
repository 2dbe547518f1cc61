//! The one route table: every path the listener answers, named once. The listener, the
//! dispatcher's callback URLs, the `<Gather>` action, `check`, the simulator and the tests read
//! it from here; it sits below all of them.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    CallStatus,
    SmsStatus,
    VoiceGather,
    SmsInbound,
    VoiceInbound,
    Health,
}

/// (route, path, what the log calls it)
const TABLE: [(Route, &str, &str); 6] = [
    (Route::CallStatus, "/twilio/call-status", "call-status"),
    (Route::SmsStatus, "/twilio/sms-status", "sms-status"),
    (Route::VoiceGather, "/twilio/voice-gather", "voice-gather"),
    (Route::SmsInbound, "/twilio/sms-inbound", "sms-inbound"),
    (
        Route::VoiceInbound,
        "/twilio/voice-inbound",
        "voice-inbound",
    ),
    (Route::Health, "/healthz", "healthz"),
];

impl Route {
    pub fn from_path(path: &str) -> Option<Route> {
        TABLE
            .iter()
            .find(|(_, p, _)| *p == path)
            .map(|(r, _, _)| *r)
    }

    pub fn path(self) -> &'static str {
        TABLE
            .iter()
            .find(|(r, _, _)| *r == self)
            .map_or("/", |(_, p, _)| p)
    }

    pub fn kind(self) -> &'static str {
        TABLE
            .iter()
            .find(|(r, _, _)| *r == self)
            .map_or("", |(_, _, k)| k)
    }

    /// The absolute URL Twilio is given for this route, under the listener's public base.
    pub fn url(self, public_url: &str) -> String {
        format!("{public_url}{}", self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_round_trips_through_its_path() {
        for (route, path, kind) in TABLE {
            assert_eq!(Route::from_path(path), Some(route));
            assert_eq!((route.path(), route.kind()), (path, kind));
        }
        assert_eq!(Route::from_path("/twilio/other"), None);
    }
}
