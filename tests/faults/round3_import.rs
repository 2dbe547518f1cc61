//! The third audit of the import and the configuration: files and rows too big to read whole,
//! files too wide, consent words that contradict each other, config paths that are not files,
//! mappings that give one column to two fields, delimiters that cannot separate fields, line
//! ends inside quoted fields, and Excel times a moment before midnight.

use super::HEADER;
use crate::common::Workdir;

/// Minor: an Excel date-time a fraction of a second before midnight stays on its own day, at
/// 23:59, rather than rounding into the next day.
#[test]
fn an_excel_time_just_before_midnight_stays_on_its_day() {
    let w = Workdir::new();
    w.write(
        "csv/serial.csv",
        format!(
            "{HEADER}S1,P1,416-555-0101,y,n,46351.999999\nS2,P2,416-555-0102,y,n,46351.9999999\nS3,P3,416-555-0103,y,n,46351.395833\n"
        ),
    );
    let out = w.run(&["import"]).ok();
    let times: Vec<String> = {
        let db = w.db();
        let mut s = db
            .prepare("SELECT appt_date_time FROM appointments ORDER BY appointment_id")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    // 23:59 on 2026-11-25 in Toronto (UTC-5) is 04:59 UTC on the 26th.
    assert_eq!(
        times,
        [
            "2026-11-26T04:59:00Z",
            "2026-11-26T04:59:00Z",
            "2026-11-25T14:30:00Z"
        ],
        "{out}"
    );
    assert!(out.contains("2026-11-25: 3"), "{out}");
}
