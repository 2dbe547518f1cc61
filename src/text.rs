//! Text equality for hot loops. On this project's benchmark machine (AMD EPYC, glibc's EVEX
//! `memcmp`) comparing two empty strings cost about 80 ns: Rust still calls `memcmp` for zero
//! bytes, and an empty `String`'s pointer is the dangling 0x1, which takes that `memcmp` down a
//! slow path. Sites are keyed by `""` when there are none, so per-row site lookups compared
//! `""` with `""` a million times per import, report or results file. Measured by taking it
//! out (`benches/devices.sh`): it saves a tenth of a 30-day report over a million appointments;
//! BENCHMARKS.md, "What each speed device earns".

/// `a == b`, without calling `memcmp` for empty text.
#[inline]
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_is_equality() {
        for (a, b) in [
            ("", ""),
            ("", "x"),
            ("x", ""),
            ("bloor", "bloor"),
            ("bloor", "bloot"),
        ] {
            assert_eq!(super::same(a, b), a == b, "{a:?} {b:?}");
        }
    }
}
