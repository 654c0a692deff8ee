//! `HumanDuration` from `staging/src/k8s.io/apimachinery/pkg/util/duration/duration.go`.

/// Formats a duration given in nanoseconds like Go's `duration.HumanDuration`
/// (`staging/src/k8s.io/apimachinery/pkg/util/duration/duration.go`): "5s", "3m2s", "4h", "2d", "2y1d".
/// Durations below -1s are `<invalid>`; -1s..0 is `0s` (clock skew tolerance).
pub fn human_duration_nanos(nanos: i64) -> String {
    const S: i64 = 1_000_000_000;
    // int(d.Seconds()) truncates toward zero.
    let seconds = nanos / S;
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = nanos / (60 * S);
    if minutes < 10 {
        let s = (nanos / S) % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = nanos / (3600 * S);
    if hours < 8 {
        let m = (nanos / (60 * S)) % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{}h", hours / 24, h);
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{}d", hours / 24 / 365, dy);
    }
    format!("{}y", hours / 24 / 365)
}

/// [`human_duration_nanos`] for a `chrono::Duration` (Go `duration.HumanDuration`); saturates on overflow.
pub fn human_duration(d: chrono::Duration) -> String {
    let nanos = d
        .num_nanoseconds()
        .unwrap_or(if d < chrono::Duration::zero() {
            i64::MIN
        } else {
            i64::MAX
        });
    human_duration_nanos(nanos)
}

#[cfg(test)]
mod tests {
    use super::human_duration_nanos as h;

    const MS: i64 = 1_000_000;
    const SEC: i64 = 1_000 * MS;
    const MIN: i64 = 60 * SEC;
    const HOUR: i64 = 60 * MIN;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;

    /// `TestHumanDuration` in duration_test.go.
    #[test]
    fn human_duration_cases() {
        let cases: &[(i64, &str)] = &[
            (SEC, "1s"),
            (70 * SEC, "70s"),
            (190 * SEC, "3m10s"),
            (70 * MIN, "70m"),
            (47 * HOUR, "47h"),
            (49 * HOUR, "2d1h"),
            ((8 * 24 + 2) * HOUR, "8d"),
            (367 * DAY, "367d"),
            ((365 * 2 * 24 + 25) * HOUR, "2y1d"),
            ((365 * 8 * 24 + 2) * HOUR, "8y"),
        ];
        for (d, want) in cases {
            assert_eq!(h(*d), *want, "{d}");
        }
    }

    /// `TestHumanDurationBoundaries` in duration_test.go.
    #[test]
    fn human_duration_boundaries() {
        let cases: &[(i64, &str)] = &[
            (-2 * SEC, "<invalid>"),
            (-2 * SEC + 1, "0s"),
            (0, "0s"),
            (SEC - MS, "0s"),
            (2 * MIN - MS, "119s"),
            (2 * MIN, "2m"),
            (2 * MIN + SEC, "2m1s"),
            (10 * MIN - MS, "9m59s"),
            (10 * MIN, "10m"),
            (10 * MIN + SEC, "10m"),
            (3 * HOUR - MS, "179m"),
            (3 * HOUR, "3h"),
            (3 * HOUR + MIN, "3h1m"),
            (8 * HOUR - MS, "7h59m"),
            (8 * HOUR, "8h"),
            (8 * HOUR + 59 * MIN, "8h"),
            (2 * DAY - MS, "47h"),
            (2 * DAY, "2d"),
            (2 * DAY + HOUR, "2d1h"),
            (8 * DAY - MS, "7d23h"),
            (8 * DAY, "8d"),
            (8 * DAY + 23 * HOUR, "8d"),
            (2 * YEAR - MS, "729d"),
            (2 * YEAR, "2y"),
            (2 * YEAR + 23 * HOUR, "2y"),
            (2 * YEAR + 23 * HOUR + 59 * MIN, "2y"),
            (2 * YEAR + DAY - MS, "2y"),
            (2 * YEAR + DAY, "2y1d"),
            (3 * YEAR, "3y"),
            (4 * YEAR, "4y"),
            (5 * YEAR, "5y"),
            (6 * YEAR, "6y"),
            (7 * YEAR, "7y"),
            (8 * YEAR - MS, "7y364d"),
            (8 * YEAR, "8y"),
            (8 * YEAR + 364 * DAY, "8y"),
            (9 * YEAR, "9y"),
        ];
        for (d, want) in cases {
            assert_eq!(h(*d), *want, "{d}");
        }
    }
}
