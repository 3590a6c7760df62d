//! Automatic compaction policy of the embedded backend.
//!
//! Keeps the history table (and so the file) bounded under churn. Two triggers, both
//! optional: a timer that, like kube-apiserver's compactor, compacts every `interval` to the
//! revision that was current one interval earlier (so at least one interval of history is
//! always kept), and a revision-count cap that compacts to `current - max_revisions` once
//! the history is about 1/8 over the cap. Pure logic: the writer thread applies the targets.

use std::time::{Duration, Instant};

use crate::store::Revision;

/// Decides when and to which revision the writer compacts on its own.
pub(crate) struct AutoCompactor {
    interval: Option<Duration>,
    max_revisions: Option<i64>,
    next_tick: Option<Instant>,
    /// The revision that was current at the previous tick.
    tick_revision: Revision,
}

impl AutoCompactor {
    pub(crate) fn new(
        interval: Option<Duration>,
        max_revisions: Option<i64>,
        now: Instant,
        current: Revision,
    ) -> Self {
        AutoCompactor {
            interval,
            max_revisions: max_revisions.map(|m| m.max(1)),
            next_tick: interval.map(|i| now + i),
            tick_revision: current,
        }
    }

    /// When the timer next wants to run, if it is enabled.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next_tick
    }

    /// The revision to compact to now, if any (always `> compacted` and `<= current`).
    pub(crate) fn target(
        &mut self,
        now: Instant,
        current: Revision,
        compacted: Revision,
    ) -> Option<Revision> {
        let mut target = None;
        if let (Some(interval), Some(tick)) = (self.interval, self.next_tick)
            && now >= tick
        {
            target = Some(self.tick_revision);
            self.tick_revision = current;
            self.next_tick = Some(now + interval);
        }
        if let Some(max) = self.max_revisions
            && current - compacted > max + max / 8
        {
            target = Some(target.unwrap_or(0).max(current - max));
        }
        target.filter(|t| *t > compacted && *t <= current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_compacts_to_revision_of_previous_tick() {
        let t0 = Instant::now();
        let iv = Duration::from_secs(300);
        let mut c = AutoCompactor::new(Some(iv), None, t0, 10);
        assert_eq!(c.target(t0 + Duration::from_secs(1), 50, 0), None);
        assert_eq!(c.target(t0 + iv, 100, 0), Some(10));
        assert_eq!(c.target(t0 + iv + Duration::from_secs(1), 120, 10), None);
        assert_eq!(c.target(t0 + iv * 2, 150, 10), Some(100));
    }

    #[test]
    fn cap_compacts_with_hysteresis() {
        let t0 = Instant::now();
        let mut c = AutoCompactor::new(None, Some(800), t0, 1);
        assert_eq!(c.target(t0, 900, 1), None);
        assert_eq!(c.target(t0, 902, 1), Some(102));
        assert_eq!(c.target(t0, 903, 102), None);
        assert_eq!(c.deadline(), None);
    }
}
