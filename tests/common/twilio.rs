//! The tests' Twilio: the crate's simulator on loopback, the same one the demo uses, reached by
//! the binary's real HTTP client through `TWILIO_API_BASE`.

use chrono::{DateTime, Utc};
use reminders::domain::channel::Channel;
use reminders::twilio::simulator::{Simulator, Step};

use crate::common::Workdir;
use crate::common::listener::Listener;

pub const ACCOUNT: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The same token the listener helper signs with, so simulated callbacks pass its check.
pub use crate::common::listener::TOKEN;
pub const FROM: &str = "+16135550000";
pub const PUBLIC_URL: &str = "https://rem.example.ca";

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

/// A simulator whose calls and messages stay `queued` unless a test says otherwise: a test
/// decides each outcome (`set_status`, or a script of steps).
pub fn start(now: &str) -> Simulator {
    let sim = Simulator::start(ACCOUNT, TOKEN, at(now)).expect("starting the simulator");
    sim.set_default(Channel::Call, Step::Stay);
    sim.set_default(Channel::Sms, Step::Stay);
    sim
}

/// Points the workdir's binary at `sim`, with credentials and a public URL.
pub fn connect(w: &mut Workdir, sim: &Simulator, public_url: &str) {
    w.env("TWILIO_ACCOUNT_SID", ACCOUNT)
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("TWILIO_PHONE_NUMBER", FROM)
        .env("TWILIO_API_BASE", &sim.base_url())
        .env("REMINDERS_PUBLIC_URL", public_url);
}

/// The SID Twilio gave the first call or message to `to`.
#[track_caller]
pub fn sid(sim: &Simulator, to: &str) -> String {
    sim.sid_to(to)
        .unwrap_or_else(|| panic!("nothing was created for {to}"))
}

/// Twilio refuses the next request to `to` with its error `code`.
pub fn refuse(sim: &Simulator, to: &str, http: u16, code: i64) {
    sim.script(to, vec![Step::Refuse { http, code }]);
}

/// A workdir at `EVENING` whose Twilio answers every call (a patient picks up) and delivers
/// every text, sending at 50 a second, with `config` after that; and a listener port.
pub fn clinic(config: &str) -> (Workdir, Simulator, u16) {
    let sim = start(crate::common::EVENING);
    sim.set_default(Channel::Call, Step::Answer { press: None });
    sim.set_default(Channel::Sms, Step::Deliver { reply: None });
    let port = free_port();
    let mut w = Workdir::new();
    connect(&mut w, &sim, &format!("http://127.0.0.1:{port}"));
    w.write(
        "reminders.toml",
        format!("[sending]\ncalls_per_second = 50\nsms_per_second = 50\n{config}"),
    );
    (w, sim, port)
}

/// A loopback port free now, for a listener whose public URL must name it in advance.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One window of the clinic's day: the listener up at that time (on `port`, the public URL the
/// workdir gives Twilio), the command run, and what Twilio has to report delivered to it.
pub fn window(w: &mut Workdir, sim: &Simulator, port: u16, when: &str, args: &[&str]) -> String {
    w.env("REMINDERS_NOW", when);
    sim.set_now(at(when));
    let listener = Listener::start_on(w, port);
    let out = w.run(args).ok();
    sim.deliver().expect("every report stored by the listener");
    listener.stop();
    out
}

/// An appointment's state, by the clinic's appointment id.
#[track_caller]
pub fn state(w: &Workdir, appointment_id: &str) -> String {
    w.db()
        .query_row(
            "SELECT status FROM appointments WHERE appointment_id = ?1",
            [appointment_id],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{appointment_id}: {e}"))
}

/// The demo's day, ready to run: the simulator playing every scripted patient, a workdir
/// connected to it with the demo's sample (the shared fixture plus a family of three on one
/// number) and its waitlist in its drop folder, and the port its listener will have.
pub fn demo_day() -> (Simulator, Workdir, u16) {
    use reminders::demo::script;
    let sim = Simulator::start(ACCOUNT, TOKEN, at(script::WINDOWS[0].0)).expect("simulator");
    for p in script::patients() {
        sim.script(p.number, p.steps);
    }
    for p in script::waiting() {
        sim.script(p.number, p.steps);
    }
    let port = free_port();
    let mut w = Workdir::new();
    connect(&mut w, &sim, &format!("http://127.0.0.1:{port}"));
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 50\nsms_per_second = 50\n",
    );
    w.write(
        "csv/appointments-2026-11-24.csv",
        reminders::demo::SAMPLE_CSV,
    );
    w.write("csv/waitlist-2026-11-24.csv", reminders::demo::WAITLIST_CSV);
    (sim, w, port)
}
