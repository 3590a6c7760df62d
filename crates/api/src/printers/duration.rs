//! Human durations as upstream's `k8s.io/apimachinery/pkg/util/duration.HumanDuration`
//! (`5s`, `3m2s`, `10m`, `5h3m`, `2d3h`, `400d`, `2y10d`) and the `translateTimestampSince` helper.

use chrono::{DateTime, Utc};

/// Format `secs` seconds (can be fractional/negative) as upstream's `HumanDuration`.
pub fn human_duration(d: chrono::Duration) -> String {
    let seconds = d.num_seconds();
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
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

/// Parse an RFC 3339 timestamp.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// upstream's `translateTimestampSince`: `<unknown>` for a missing timestamp.
pub fn since(ts: Option<&str>, now: DateTime<Utc>) -> String {
    match ts.filter(|s| !s.is_empty()).and_then(parse_time) {
        Some(t) => human_duration(now - t),
        None => "<unknown>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(secs: i64) -> String {
        human_duration(chrono::Duration::seconds(secs))
    }

    #[test]
    fn matches_upstream_table() {
        assert_eq!(h(-2), "<invalid>");
        assert_eq!(h(-1), "0s");
        assert_eq!(h(5), "5s");
        assert_eq!(h(119), "119s");
        assert_eq!(h(120), "2m");
        assert_eq!(h(182), "3m2s");
        assert_eq!(h(600), "10m");
        assert_eq!(h(179 * 60), "179m");
        assert_eq!(h(3 * 3600), "3h");
        assert_eq!(h(5 * 3600 + 3 * 60), "5h3m");
        assert_eq!(h(47 * 3600), "47h");
        assert_eq!(h(51 * 3600), "2d3h");
        assert_eq!(h(48 * 3600), "2d");
        assert_eq!(h(400 * 86400), "400d");
        assert_eq!(h(740 * 86400), "2y10d");
        assert_eq!(h(9 * 365 * 86400), "9y");
    }
}
