//! `metav1.Time` and `metav1.MicroTime`: RFC 3339 read as Go's `time.Parse` reads it
//! (its leniencies and its error texts) and written back in UTC as Go writes them.

/// A time parsed from RFC 3339, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    /// Seconds since the epoch.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl UtcTime {
    /// Go's `Format(time.RFC3339)` of the UTC time (`RFC3339Micro` when `micro`).
    pub fn format(&self, micro: bool) -> String {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
        if micro {
            format!(
                "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:06}Z",
                self.nanos / 1000
            )
        } else {
            format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
        }
    }
}

const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
const RFC3339_MICRO: &str = "2006-01-02T15:04:05.000000Z07:00";

/// Parse as Go's `time.Parse(time.RFC3339, s)` (or `RFC3339Micro`), with Go's error text.
pub fn parse_time(s: &str, micro: bool) -> Result<UtcTime, String> {
    let layout = if micro { RFC3339_MICRO } else { RFC3339 };
    let err = |layout_elem: &str, value_elem: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            time_quote(s),
            time_quote(layout),
            time_quote(value_elem),
            time_quote(layout_elem)
        )
    };
    let range = |what: &str| format!("parsing time {}: {what} out of range", time_quote(s));
    let mut rest = s;
    let digits =
        |v: &str, n: usize| v.len() >= n && v.as_bytes()[..n].iter().all(u8::is_ascii_digit);
    // Go's getnum: one or two digits, exactly two when `fixed`
    let getnum = |v: &'_ str, fixed: bool| -> Option<(i64, usize)> {
        let b = v.as_bytes();
        if b.is_empty() || !b[0].is_ascii_digit() {
            return None;
        }
        if b.len() < 2 || !b[1].is_ascii_digit() {
            return if fixed {
                None
            } else {
                Some((i64::from(b[0] - b'0'), 1))
            };
        }
        Some((i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'), 2))
    };
    // year
    if !digits(rest, 1) || rest.len() < 4 || !digits(rest, 4) {
        return Err(err("2006", rest));
    }
    let year: i64 = rest[..4].parse().map_err(|_| err("2006", rest))?;
    rest = &rest[4..];
    let sep = |rest: &mut &str, c: char, elem: &str| -> Result<(), String> {
        match rest.strip_prefix(c) {
            Some(r) => {
                *rest = r;
                Ok(())
            }
            None => Err(err(elem, rest)),
        }
    };
    sep(&mut rest, '-', "-")?;
    let (month, n) = getnum(rest, true).ok_or_else(|| err("01", rest))?;
    rest = &rest[n..];
    if !(1..=12).contains(&month) {
        return Err(range("month"));
    }
    sep(&mut rest, '-', "-")?;
    let (day, n) = getnum(rest, true).ok_or_else(|| err("02", rest))?;
    rest = &rest[n..];
    sep(&mut rest, 'T', "T")?;
    let (hour, n) = getnum(rest, false).ok_or_else(|| err("15", rest))?;
    rest = &rest[n..];
    if hour >= 24 {
        return Err(range("hour"));
    }
    sep(&mut rest, ':', ":")?;
    let (min, n) = getnum(rest, true).ok_or_else(|| err("04", rest))?;
    rest = &rest[n..];
    if min >= 60 {
        return Err(range("minute"));
    }
    sep(&mut rest, ':', ":")?;
    let (sec, n) = getnum(rest, true).ok_or_else(|| err("05", rest))?;
    rest = &rest[n..];
    if sec >= 60 {
        return Err(range("second"));
    }
    let mut nanos: u32 = 0;
    let frac_len = |r: &str| {
        1 + r.as_bytes()[1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    if micro {
        // exactly six digits after the point
        let b = rest.as_bytes();
        if b.len() < 7 || !matches!(b[0], b'.' | b',') || !digits(&rest[1..], 6) {
            return Err(err(".000000", rest));
        }
        nanos = rest[1..7].parse::<u32>().unwrap_or(0) * 1000;
        rest = &rest[7..];
    } else if rest.len() >= 2 && matches!(rest.as_bytes()[0], b'.' | b',') && digits(&rest[1..], 1)
    {
        let n = frac_len(rest);
        // Go reads at most nine digits and skips the rest
        let frac = &rest[1..n.min(10)];
        nanos = format!("{frac:0<9}").parse().unwrap_or(0);
        rest = &rest[n..];
    }
    // zone: Z or ±hh:mm
    let offset: i64 = if let Some(r) = rest.strip_prefix('Z') {
        rest = r;
        0
    } else {
        let b = rest.as_bytes();
        if b.len() < 6 || b[3] != b':' {
            return Err(err("Z07:00", rest));
        }
        let sign = match b[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return Err(err("Z07:00", rest)),
        };
        let (hh, _) = getnum(&rest[1..3], true).ok_or_else(|| err("Z07:00", rest))?;
        let (mm, _) = getnum(&rest[4..6], true).ok_or_else(|| err("Z07:00", rest))?;
        if hh > 24 {
            return Err(range("time zone offset hour"));
        }
        if mm > 60 {
            return Err(range("time zone offset minute"));
        }
        rest = &rest[6..];
        sign * (hh * 3600 + mm * 60)
    };
    if !rest.is_empty() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            time_quote(s),
            time_quote(rest)
        ));
    }
    if day < 1 || day > days_in(month, year) {
        return Err(range("day"));
    }
    let days = days_from_civil(year, month, day);
    Ok(UtcTime {
        secs: days * 86_400 + hour * 3600 + min * 60 + sec - offset,
        nanos,
    })
}

/// The `time` package's own quoting: ASCII kept (with `"` and `\` escaped), every byte of
/// anything else as `\xNN`.
fn time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if !c.is_ascii() || (c as u32) < 0x20 {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(m: i64, y: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}
