//! The daily trend as inline SVG, drawn by hand: appointments as pale bars, reached, confirmed
//! and failed as lines over them. A `viewBox` and no fixed size let it scale to the screen or
//! the A4 page; every number written is finite, so a browser never meets `NaN` in a path.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::model::Day;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 250.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = WIDTH - 10.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = HEIGHT - 30.0;
/// About 60 units per "Nov 24" at font size 12: more labels than this would overlap.
const MAX_LABELS: usize = 11;
/// Up to this many days each point gets a dot; past it the dots would merge into the line.
const MAX_DOTS: usize = 45;

const BAR: &str = "#d5dde5";
/// The lines: name, colour (Okabe–Ito, told apart by colour-blind readers too), dash for print
/// in grey, and the figure.
type Figure = fn(&Day) -> u64;
const LINES: [(&str, &str, &str, Figure); 3] = [
    ("reached", "#0072b2", "", |d| d.reached),
    ("confirmed", "#009e73", "", |d| d.confirmed),
    ("failed", "#d55e00", "5 3", |d| d.failed),
];

/// The chart of `days` (in date order), as an `<svg>` element.
pub fn trend_svg(days: &[Day]) -> Markup {
    let title = match (days.first(), days.last()) {
        (Some(first), Some(last)) => format!(
            "Appointments, reached, confirmed and failed per day, {} to {}",
            long_date(first.date),
            long_date(last.date)
        ),
        _ => "Appointments per day: none in this period".to_string(),
    };
    let max = days
        .iter()
        .flat_map(|d| [d.appointments, d.reached, d.confirmed, d.failed])
        .max()
        .unwrap_or(0);
    let (step, top) = y_scale(max);
    let y = |v: u64| BOTTOM - (BOTTOM - TOP) * v as f64 / top as f64;
    let band = (RIGHT - LEFT) / days.len().max(1) as f64;
    let x = |i: usize| LEFT + band * (i as f64 + 0.5);
    let bar_width = (band * 0.7).min(40.0);
    let label_every = days.len().div_ceil(MAX_LABELS).max(1);

    html! {
        svg class="chart" viewBox={"0 0 " (num(WIDTH)) " " (num(HEIGHT))} role="img"
            aria-labelledby="trend-title" font-size="12" {
            title id="trend-title" { (title) }
            (legend())
            @for tick in (0..=top).step_by(step as usize) {
                line x1=(num(LEFT)) x2=(num(RIGHT)) y1=(num(y(tick))) y2=(num(y(tick)))
                    stroke=(if tick == 0 { "#8a96a3" } else { "#e6eaee" }) stroke-width="1" {}
                text x=(num(LEFT - 6.0)) y=(num(y(tick) + 4.0)) text-anchor="end" fill="#616e7c" {
                    (tick)
                }
            }
            @if days.is_empty() {
                text x=(num((LEFT + RIGHT) / 2.0)) y=(num((TOP + BOTTOM) / 2.0))
                    text-anchor="middle" fill="#616e7c" { "No appointments in this period" }
            }
            @for (i, day) in days.iter().enumerate() {
                @if day.appointments > 0 {
                    rect x=(num(x(i) - bar_width / 2.0)) y=(num(y(day.appointments)))
                        width=(num(bar_width)) height=(num(BOTTOM - y(day.appointments)))
                        fill=(BAR) {}
                }
                @if i % label_every == 0 {
                    text x=(num(x(i))) y=(num(BOTTOM + 16.0)) text-anchor="middle" fill="#616e7c" {
                        (day.date.format("%b %-d"))
                    }
                }
            }
            @for (_, colour, dash, figure) in LINES {
                @if days.len() > 1 {
                    polyline fill="none" stroke=(colour) stroke-width="2"
                        stroke-linejoin="round" stroke-dasharray=[(!dash.is_empty()).then_some(dash)]
                        points=(points(days, figure, x, y)) {}
                }
                @if days.len() <= MAX_DOTS {
                    @for (i, day) in days.iter().enumerate() {
                        circle cx=(num(x(i))) cy=(num(y(figure(day)))) r="2.5" fill=(colour) {}
                    }
                }
            }
            // Last, so they lie on top: each day's band shows its figures on hover, and
            // puts them in the page's text for screen readers and search.
            @for (i, day) in days.iter().enumerate() {
                rect x=(num(x(i) - band / 2.0)) y=(num(TOP)) width=(num(band))
                    height=(num(BOTTOM - TOP)) fill="#fff" fill-opacity="0" {
                    title { (day_figures(day)) }
                }
            }
        }
    }
}

/// "Tue 3 Nov 2026: 42 appointments, 36 reached, 24 confirmed, 2 failed".
fn day_figures(day: &Day) -> String {
    format!(
        "{}: {} appointments, {} reached, {} confirmed, {} failed",
        day.date.format("%a %-d %b %Y"),
        day.appointments,
        day.reached,
        day.confirmed,
        day.failed
    )
}

/// One swatch per series across the top.
fn legend() -> Markup {
    let mut at = LEFT;
    let mut items = Vec::new();
    items.push(html! {
        rect x=(num(at)) y="6" width="14" height="10" fill=(BAR) {}
        text x=(num(at + 19.0)) y="15" fill="#1f2933" { "appointments" }
    });
    at += legend_step("appointments");
    for (name, colour, dash, _) in LINES {
        items.push(html! {
            line x1=(num(at)) x2=(num(at + 16.0)) y1="11" y2="11" stroke=(colour)
                stroke-width="2.5" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
            text x=(num(at + 21.0)) y="15" fill="#1f2933" { (name) }
        });
        at += legend_step(name);
    }
    html! { g class="legend" { @for item in items { (item) } } }
}

/// From one legend entry to the next: the swatch, the name at about 7 units a letter, a gap.
fn legend_step(name: &str) -> f64 {
    21.0 + 7.0 * name.len() as f64 + 18.0
}

fn points(
    days: &[Day],
    figure: Figure,
    x: impl Fn(usize) -> f64,
    y: impl Fn(u64) -> f64,
) -> String {
    days.iter()
        .enumerate()
        .map(|(i, d)| format!("{},{}", num(x(i)), num(y(figure(d)))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A tick step of 1, 2 or 5 times a power of ten giving at most five intervals, and the top of
/// the axis as a whole number of steps at or above `max`. All zeros still get an axis (0 to 1).
fn y_scale(max: u64) -> (u64, u64) {
    let mut magnitude = 1u64;
    let step = loop {
        let fits = |m: u64| m.saturating_mul(magnitude).saturating_mul(5) >= max;
        if let Some(m) = [1, 2, 5].into_iter().find(|&m| fits(m)) {
            break m.saturating_mul(magnitude);
        }
        magnitude = magnitude.saturating_mul(10);
    };
    (step, max.div_ceil(step).max(1).saturating_mul(step))
}

/// A coordinate as SVG wants it: one decimal at most, never `NaN` or `inf`.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let text = format!("{v:.1}");
    match text.strip_suffix(".0") {
        Some(whole) if whole != "-0" => whole.to_string(),
        Some(_) => "0".to_string(),
        None => text,
    }
}

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Days;

    fn days(n: u64, figure: impl Fn(u64) -> u64) -> Vec<Day> {
        let start = NaiveDate::from_ymd_opt(2026, 9, 1).expect("a real date");
        (0..n)
            .map(|i| Day {
                date: start + Days::new(i),
                appointments: figure(i),
                reached: figure(i) * 3 / 4,
                confirmed: figure(i) / 2,
                failed: figure(i) / 8,
            })
            .collect()
    }

    /// Parses the chart as XML (the inline SVG must be well-formed) and returns its text nodes.
    fn texts(svg: &str) -> Vec<String> {
        let mut reader = quick_xml::Reader::from_str(svg);
        let mut texts = Vec::new();
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Text(t)) => texts.push(t.html_content().into_owned()),
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("chart is not well-formed XML: {e}\n{svg}"),
            }
        }
        texts
    }

    #[test]
    fn draws_any_number_of_days_as_well_formed_svg_without_nan() {
        for n in [0, 1, 2, 7, 31, 90, 400] {
            for figure in [|_| 0, |i| 10 + i % 13, |i| i * 1000] {
                let svg = trend_svg(&days(n, figure)).into_string();
                texts(&svg);
                assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
                assert!(svg.contains("viewBox=\"0 0 720 250\"") && svg.contains("role=\"img\""));
                assert!(svg.contains("<title id=\"trend-title\">"));
                for bad in ["NaN", "inf"] {
                    assert!(!svg.contains(bad), "{bad} in chart of {n} days");
                }
            }
        }
    }

    #[test]
    fn says_so_when_there_are_no_days() {
        let svg = trend_svg(&[]).into_string();
        assert!(texts(&svg).contains(&"No appointments in this period".to_string()));
        assert!(!svg.contains("<polyline"));
    }

    #[test]
    fn one_day_is_a_bar_and_dots_with_its_date() {
        let svg = trend_svg(&days(1, |_| 12)).into_string();
        assert!(texts(&svg).contains(&"Sep 1".to_string()));
        assert!(
            !svg.contains("<polyline"),
            "a one-point line would draw nothing"
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(
            svg.matches("<rect").count(),
            3,
            "the bar, its hover band, the legend's swatch"
        );
        assert!(texts(&svg).contains(
            &"Tue 1 Sep 2026: 12 appointments, 9 reached, 6 confirmed, 1 failed".to_string()
        ));
    }

    #[test]
    fn date_labels_are_thinned_to_fit() {
        for n in [1, 12, 13, 31, 90] {
            let svg = trend_svg(&days(n, |i| i + 1)).into_string();
            let labels = texts(&svg)
                .iter()
                .filter(|t| t.starts_with("Sep ") || t.starts_with("Oct ") || t.starts_with("Nov "))
                .count();
            assert!(
                (1..=MAX_LABELS).contains(&labels),
                "{labels} labels for {n} days"
            );
        }
        let svg = trend_svg(&days(90, |i| i + 1)).into_string();
        assert!(!svg.contains("<circle"), "no dots on a 90-day line");
    }

    #[test]
    fn the_y_axis_has_round_steps_that_reach_the_maximum() {
        assert_eq!(y_scale(0), (1, 1));
        assert_eq!(y_scale(1), (1, 1));
        assert_eq!(y_scale(5), (1, 5));
        assert_eq!(y_scale(6), (2, 6));
        assert_eq!(y_scale(47), (10, 50));
        assert_eq!(y_scale(100), (20, 100));
        assert_eq!(y_scale(101), (50, 150));
        assert_eq!(y_scale(u64::MAX / 2).0 % 10, 0);
    }

    #[test]
    fn numbers_are_short_and_finite() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.25), "2.2");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
    }
}
