//! CronJob schedules, as `robfig/cron/v3`'s `ParseStandard` (what the
//! CronJob controller uses) reads them: five fields (minute, hour, day of
//! month, month, day of week) with `*`, `?`, lists, ranges, steps and the
//! month and weekday names, or a descriptor (`@yearly`, `@annually`,
//! `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`,
//! `@every <duration>`). Times are UTC (`spec.timeZone` other than UTC is
//! not supported: the controller says so in an Event).
//!
//! As in robfig: when both day fields are restricted a day matches if
//! either does; when one is `*` (or `?`), both must.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Five cron fields, as bit sets.
    Fields {
        /// Minutes 0..59.
        minute: u64,
        /// Hours 0..23.
        hour: u64,
        /// Days of month 1..31.
        dom: u64,
        /// Months 1..12.
        month: u64,
        /// Days of week 0..6 (Sunday 0).
        dow: u64,
        /// Whether either day field is `*`/`?`.
        day_star: bool,
    },
    /// `@every <duration>` (whole seconds, at least one).
    Every(std::time::Duration),
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One field's bounds and names.
struct Bounds {
    what: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

fn value(s: &str, b: &Bounds) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    if let Some(i) = b.names.iter().position(|n| *n == lower) {
        return Ok(i as u32 + b.min);
    }
    s.parse::<u32>()
        .map_err(|_| format!("failed to parse int from {s}"))
}

/// One field (`*/5`, `1-5,10`, `mon-fri`...) as a bit set; whether it was
/// a star.
fn field(text: &str, b: &Bounds) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut star = false;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("failed to parse int from {s}"))?;
                if step == 0 {
                    return Err(format!("step of range should be a positive number: {part}"));
                }
                (r, Some(step))
            }
            None => (part, None),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            if step.is_none() {
                star = true;
            }
            (b.min, b.max)
        } else if let Some((lo, hi)) = range.split_once('-') {
            (value(lo, b)?, value(hi, b)?)
        } else {
            let v = value(range, b)?;
            (v, if step.is_some() { b.max } else { v })
        };
        if lo < b.min {
            return Err(format!(
                "beginning of range ({lo}) below minimum ({}): {part}",
                b.min
            ));
        }
        if hi > b.max {
            return Err(format!(
                "end of range ({hi}) above maximum ({}): {part}",
                b.max
            ));
        }
        if lo > hi {
            return Err(format!(
                "beginning of range ({lo}) beyond end of range ({hi}): {part}"
            ));
        }
        let step = step.unwrap_or(1);
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
    }
    if bits == 0 {
        return Err(format!("empty {} field", b.what));
    }
    Ok((bits, star))
}

impl Schedule {
    /// Parses a schedule; the error reads as robfig's.
    pub fn parse(spec: &str) -> Result<Schedule, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("empty spec string".into());
        }
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            return Err("TZ in the schedule is not supported; use spec.timeZone".into());
        }
        let fields: &str = match spec {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            _ => {
                if let Some(d) = spec.strip_prefix("@every ") {
                    let d = crate::api::query::parse_go_duration(d.trim())
                        .map_err(|e| format!("failed to parse duration {spec}: {e}"))?;
                    // robfig: rounded down to whole seconds, at least one.
                    let secs = d.as_secs().max(1);
                    return Ok(Schedule::Every(std::time::Duration::from_secs(secs)));
                }
                if spec.starts_with('@') {
                    return Err(format!("unrecognized descriptor: {spec}"));
                }
                spec
            }
        };
        let parts: Vec<&str> = fields.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(format!(
                "expected exactly 5 fields, found {}: {spec}",
                parts.len()
            ));
        }
        let b = |what, min, max, names| Bounds {
            what,
            min,
            max,
            names,
        };
        let (minute, _) = field(parts[0], &b("minute", 0, 59, &[]))?;
        let (hour, _) = field(parts[1], &b("hour", 0, 23, &[]))?;
        let (dom, dom_star) = field(parts[2], &b("day of month", 1, 31, &[]))?;
        let (month, _) = field(parts[3], &b("month", 1, 12, &MONTHS))?;
        let (dow, dow_star) = field(parts[4], &b("day of week", 0, 6, &DAYS))?;
        Ok(Schedule::Fields {
            minute,
            hour,
            dom,
            month,
            dow,
            day_star: dom_star || dow_star,
        })
    }

    /// The first activation strictly after `t` (`None` when there is none
    /// in the next five years, as robfig gives up).
    pub fn next(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (minute, hour, dom, month, dow, day_star) = match self {
            Schedule::Every(d) => {
                let base = t.with_nanosecond(0).unwrap_or(t);
                return Some(base + Duration::from_std(*d).ok()?);
            }
            Schedule::Fields {
                minute,
                hour,
                dom,
                month,
                dow,
                day_star,
            } => (*minute, *hour, *dom, *month, *dow, *day_star),
        };
        let has = |bits: u64, v: u32| bits & (1 << v) != 0;
        let day_ok = |d: DateTime<Utc>| {
            let a = has(dom, d.day());
            let b = has(dow, d.weekday().num_days_from_sunday());
            if day_star {
                a && b
            } else {
                a || b
            }
        };
        let mut d = t.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let limit = t + Duration::days(5 * 366);
        while d <= limit {
            if !has(month, d.month()) {
                let (y, m) = if d.month() == 12 {
                    (d.year() + 1, 1)
                } else {
                    (d.year(), d.month() + 1)
                };
                d = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single()?;
                continue;
            }
            if !day_ok(d) {
                d = d.date_naive().and_hms_opt(0, 0, 0)?.and_utc() + Duration::days(1);
                continue;
            }
            if !has(hour, d.hour()) {
                d = d.with_minute(0)? + Duration::hours(1);
                continue;
            }
            if !has(minute, d.minute()) {
                d += Duration::minutes(1);
                continue;
            }
            return Some(d);
        }
        None
    }

    /// The latest activation in `(after, now]`, and how many there were
    /// (`mostRecentScheduleTime`); `None` when there is none.
    pub fn most_recent(
        &self,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, u64)> {
        let first = self.next(after)?;
        if first > now {
            return None;
        }
        if let Schedule::Every(d) = self {
            // Arithmetic, not a walk: `@every 1s` over a long gap.
            let step = Duration::from_std(*d).ok()?;
            let n = (now - first).num_seconds() / step.num_seconds().max(1);
            return Some((first + step * n as i32, n as u64 + 1));
        }
        let (mut last, mut count) = (first, 1u64);
        while let Some(t) = self.next(last) {
            if t > now {
                break;
            }
            last = t;
            count += 1;
        }
        Some((last, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    macro_rules! next {
        ($spec:expr, $from:expr => $want:expr) => {
            assert_eq!(
                Schedule::parse($spec).unwrap().next(at($from)),
                Some(at($want)),
                "{} after {}",
                $spec,
                $from
            );
        };
    }

    #[test]
    fn schedules_fall_where_cron_puts_them() {
        next!("* * * * *", "2026-01-01T10:00:30Z" => "2026-01-01T10:01:00Z");
        next!("*/15 * * * *", "2026-01-01T10:01:00Z" => "2026-01-01T10:15:00Z");
        next!("5 4 * * *", "2026-01-01T10:00:00Z" => "2026-01-02T04:05:00Z");
        next!("0 0 * * mon-fri", "2026-01-02T12:00:00Z" => "2026-01-05T00:00:00Z");
        next!("0 0 1 jan,jul ?", "2026-02-01T00:00:00Z" => "2026-07-01T00:00:00Z");
        next!("0 0 13 * 5", "2026-02-01T00:00:00Z" => "2026-02-06T00:00:00Z");
        next!("10-20/5 1 * * *", "2026-01-01T01:12:00Z" => "2026-01-01T01:15:00Z");
        next!("30/10 * * * *", "2026-01-01T01:55:00Z" => "2026-01-01T02:30:00Z");
        next!("@hourly", "2026-01-01T10:00:00Z" => "2026-01-01T11:00:00Z");
        next!("@daily", "2026-01-01T10:00:00Z" => "2026-01-02T00:00:00Z");
        next!("@weekly", "2026-01-01T10:00:00Z" => "2026-01-04T00:00:00Z");
        next!("@monthly", "2026-01-31T10:00:00Z" => "2026-02-01T00:00:00Z");
        next!("@yearly", "2026-01-01T00:00:00Z" => "2027-01-01T00:00:00Z");
        next!("@every 90s", "2026-01-01T10:00:00.5Z" => "2026-01-01T10:01:30Z");
        next!("0 0 29 2 *", "2026-03-01T00:00:00Z" => "2028-02-29T00:00:00Z");
        assert_eq!(
            Schedule::parse("0 0 31 2 *")
                .unwrap()
                .next(at("2026-01-01T00:00:00Z")),
            None
        );
    }

    #[test]
    fn bad_schedules_say_why() {
        for (spec, why) in [
            ("", "empty spec"),
            ("* * * *", "expected exactly 5 fields, found 4"),
            ("60 * * * *", "above maximum (59)"),
            ("* * 0 * *", "below minimum (1)"),
            ("5-1 * * * *", "beyond end of range"),
            ("*/0 * * * *", "positive number"),
            ("x * * * *", "failed to parse int from x"),
            ("@fortnightly", "unrecognized descriptor"),
            ("@every soon", "failed to parse duration"),
            ("TZ=UTC * * * * *", "spec.timeZone"),
        ] {
            let e = Schedule::parse(spec).unwrap_err();
            assert!(e.contains(why), "{spec:?}: {e}");
        }
    }

    #[test]
    fn the_most_recent_time_counts_the_missed_ones() {
        let s = Schedule::parse("*/10 * * * *").unwrap();
        let (t, n) = s
            .most_recent(at("2026-01-01T10:00:00Z"), at("2026-01-01T10:35:00Z"))
            .unwrap();
        assert_eq!((t, n), (at("2026-01-01T10:30:00Z"), 3));
        assert_eq!(
            s.most_recent(at("2026-01-01T10:00:00Z"), at("2026-01-01T10:05:00Z")),
            None
        );
        let e = Schedule::parse("@every 1s").unwrap();
        let (t, n) = e
            .most_recent(at("2026-01-01T10:00:00Z"), at("2026-01-02T10:00:00Z"))
            .unwrap();
        assert_eq!((t, n), (at("2026-01-02T10:00:00Z"), 86_400));
    }
}
