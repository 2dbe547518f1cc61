//! Progress for people at a terminal: a bar with count, rate and time left for
//! `send`/`retry`, rows per second for a big import, a count for `reconcile`. Nothing of it when
//! stderr is not a terminal (cron mail, a pipe): those get the summary lines only.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Contacts of a dispatching run: how many, how fast, how long still.
pub const CONTACTS: &str =
    "{spinner} {pos}/{len} appointments contacted · {per_sec} · about {eta} left {wide_bar}";
/// Rows of an import.
pub const ROWS: &str = "{spinner} {human_pos} rows read · {per_sec} · {elapsed}";
/// Outcomes asked of Twilio.
pub const CHECKS: &str = "{spinner} {pos}/{len} outcomes checked with Twilio";

/// A bar drawing `template` on stderr when it is a terminal; hidden otherwise.
pub fn bar(template: &str, len: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

    /// A terminal that keeps what is drawn on it.
    #[derive(Debug, Default, Clone)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push(s.to_string());
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.write_line(s)
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.write_line("\n")
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn drawn(template: &str, len: Option<u64>, pos: u64) -> String {
        let screen = Screen::default();
        let bar = match len {
            Some(n) => ProgressBar::with_draw_target(
                Some(n),
                ProgressDrawTarget::term_like(Box::new(screen.clone())),
            ),
            None => ProgressBar::with_draw_target(
                None,
                ProgressDrawTarget::term_like(Box::new(screen.clone())),
            ),
        };
        bar.set_style(ProgressStyle::with_template(template).unwrap());
        bar.set_position(pos);
        // Finishing draws the bar as it stands, whatever the refresh rate.
        bar.abandon();
        let all = screen.0.lock().unwrap().concat();
        // What the terminal shows last: after the last carriage return, without the filler.
        all.rsplit(['\r', '\n'])
            .map(str::trim_end)
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn the_templates_say_count_rate_and_time_left_within_80_columns() {
        let line = drawn(super::CONTACTS, Some(1200), 300);
        assert!(line.contains("300/1200 appointments contacted"), "{line}");
        assert!(line.contains("/s") && line.contains("left"), "{line}");
        assert!(line.chars().count() <= 80, "{line}");
        let line = drawn(super::ROWS, None, 250_000);
        assert!(
            line.contains("250,000 rows read") && line.contains("/s"),
            "{line}"
        );
        let line = drawn(super::CHECKS, Some(12), 5);
        assert!(line.contains("5/12 outcomes checked with Twilio"), "{line}");
    }
}
