//! Crash-loop back-off (upstream's `flowcontrol.Backoff` as the kubelet uses it): a
//! container that exits and must restart is restarted at once the first time; each later
//! restart waits 10 s, doubling up to 5 min, counted from when it last finished. A
//! container that ran 10 min before exiting starts over at no wait. While it waits, its
//! status shows `CrashLoopBackOff` with upstream's message.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

/// The first wait.
pub const INITIAL: Duration = Duration::from_secs(10);
/// The longest wait.
pub const MAX: Duration = Duration::from_secs(300);
/// A run this long resets the back-off.
pub const RESET_AFTER: Duration = Duration::from_secs(600);

/// Back-off state per container (pod uid and container name).
#[derive(Debug, Default)]
pub struct Backoff {
    entries: HashMap<(String, String), Duration>,
}

/// What to do about an exited container that should restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Restart it now.
    Restart,
    /// Wait this long since it finished (it is in `CrashLoopBackOff`).
    Wait {
        /// The back-off period.
        period: Duration,
        /// When the restart may happen.
        until: Timestamp,
    },
}

impl Backoff {
    /// Decide for container `name` of pod `uid`, which ran from `started` to `finished`.
    /// A `Restart` records the next period.
    pub fn decide(
        &mut self,
        uid: &str,
        name: &str,
        started: Option<Timestamp>,
        finished: Timestamp,
        now: Timestamp,
    ) -> Decision {
        let key = (uid.to_string(), name.to_string());
        let ran = started
            .and_then(|s| (finished - s).total(jiff::Unit::Second).ok())
            .unwrap_or(0.0);
        if ran >= RESET_AFTER.as_secs_f64() {
            self.entries.remove(&key);
        }
        match self.entries.get(&key).copied() {
            None => {
                self.entries.insert(key, INITIAL);
                Decision::Restart
            }
            Some(period) => {
                let until = finished
                    .checked_add(jiff::SignedDuration::try_from(period).unwrap_or_default())
                    .unwrap_or(finished);
                if now >= until {
                    self.entries.insert(key, (period * 2).min(MAX));
                    Decision::Restart
                } else {
                    Decision::Wait { period, until }
                }
            }
        }
    }

    /// Forget pod `uid` (it is gone).
    pub fn forget(&mut self, uid: &str) {
        self.entries.retain(|(u, _), _| u != uid);
    }
}

/// Upstream's CrashLoopBackOff message.
pub fn message(period: Duration, container: &str, pod: &str, namespace: &str, uid: &str) -> String {
    format!(
        "back-off {} restarting failed container={container} pod={pod}_{namespace}({uid})",
        go_duration(period)
    )
}

/// A duration as Go prints it (`10s`, `2m40s`, `5m0s`).
fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn waits_double_from_ten_seconds_to_five_minutes() {
        let mut b = Backoff::default();
        // the first exit restarts at once
        assert_eq!(
            b.decide("u", "c", Some(t(0)), t(1), t(1)),
            Decision::Restart
        );
        // the next waits 10 s from its finish
        assert_eq!(
            b.decide("u", "c", Some(t(1)), t(2), t(5)),
            Decision::Wait {
                period: INITIAL,
                until: t(12)
            }
        );
        assert_eq!(
            b.decide("u", "c", Some(t(1)), t(2), t(12)),
            Decision::Restart
        );
        let mut periods = vec![];
        let mut now = 100;
        for _ in 0..8 {
            match b.decide("u", "c", Some(t(now)), t(now), t(now)) {
                Decision::Wait { period, .. } => periods.push(period.as_secs()),
                Decision::Restart => panic!("restarted without waiting"),
            }
            now += 400;
            assert_eq!(
                b.decide("u", "c", Some(t(now - 400)), t(now - 400), t(now)),
                Decision::Restart
            );
        }
        assert_eq!(periods, [20, 40, 80, 160, 300, 300, 300, 300]);
        // ten minutes of running starts over
        assert_eq!(
            b.decide("u", "c", Some(t(10_000)), t(10_700), t(10_700)),
            Decision::Restart
        );
        b.forget("u");
        assert_eq!(
            b.decide("u", "c", Some(t(0)), t(1), t(1)),
            Decision::Restart
        );
    }

    #[test]
    fn messages_are_upstreams() {
        assert_eq!(
            message(Duration::from_secs(20), "c", "p", "default", "u-1"),
            "back-off 20s restarting failed container=c pod=p_default(u-1)"
        );
        assert_eq!(go_duration(Duration::from_secs(160)), "2m40s");
        assert_eq!(go_duration(MAX), "5m0s");
    }
}
