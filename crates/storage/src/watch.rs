//! Watch machinery shared by the backends: a hub fanning out committed revisions to live
//! watchers, and the per-watcher stream that replays history and then follows live events.
//!
//! Guarantees: every event of the watched range with revision `>= start_revision` is
//! delivered exactly once, in revision order, with no gap between replay and live events.
//! How: a watcher registers with the hub *before* it reads history (both under the hub lock
//! that publishing also takes), so any revision missing from the history snapshot is
//! published to it afterwards; live responses at or below the last delivered revision are
//! dropped (dedupe by revision).
//!
//! Slow watchers never block writers: the hub only `try_send`s into a bounded per-watcher
//! buffer. A watcher whose buffer is full is unregistered ("lagged"); its stream drains what
//! it had, then re-registers and catches up from history from its last delivered revision.
//! Only if that history was compacted meanwhile does the stream end with
//! [`StoreError::Compacted`], so the client re-lists and re-watches.
//!
//! This module does no IO itself: backends supply history through [`HistorySource`].

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::error::StoreError;
use crate::keyrange::KeyRange;
use crate::store::{Revision, WatchEvent, WatchRequest, WatchResponse, WatchStream};

/// Revisions scanned per history read while replaying (bounds memory and blocking time).
const REPLAY_CHUNK_REVISIONS: usize = 1024;

/// Events of a backend's history, for replay.
pub(crate) trait HistorySource: Send + Sync + 'static {
    /// Reads the events of revisions `>= from` (at most `max_revisions` revisions) whose keys
    /// are in `range`. Fails with `Compacted` if `from` is older than the compacted revision.
    /// Blocking: called from `spawn_blocking`.
    fn read_history(
        &self,
        from: Revision,
        range: &KeyRange,
        max_revisions: usize,
    ) -> Result<HistoryChunk, StoreError>;
}

/// A piece of history.
pub(crate) struct HistoryChunk {
    /// Matching events grouped by revision, in revision order (full events, with prev_kv).
    pub groups: Vec<(Revision, Vec<WatchEvent>)>,
    /// Every revision up to this one (inclusive) has been scanned.
    pub covered: Revision,
    /// `covered` is the store's revision as of the read: history is exhausted.
    pub done: bool,
}

enum LiveMsg {
    Events(Vec<WatchResponse>),
    Progress(Revision),
}

struct LiveWatcher {
    range: KeyRange,
    prev_kv: bool,
    tx: mpsc::Sender<LiveMsg>,
    shared: Arc<WatcherShared>,
}

#[derive(Default)]
struct WatcherShared {
    /// A progress notification was asked for while the watcher was not registered live.
    progress_requested: AtomicBool,
}

struct HubInner {
    watchers: HashMap<u64, LiveWatcher>,
    next_id: u64,
    /// Last revision published (every revision up to it has been offered to live watchers).
    published: Revision,
    closed: bool,
}

/// Fans committed revisions out to live watchers. Backends call [`WatchHub::publish`] in
/// revision order after each commit, before acknowledging the writes.
pub(crate) struct WatchHub {
    inner: Mutex<HubInner>,
    buffer: usize,
}

impl WatchHub {
    /// `published` is the store's revision at startup; `buffer` the per-watcher capacity in
    /// messages (one message per published batch).
    pub(crate) fn new(published: Revision, buffer: usize) -> Self {
        WatchHub {
            inner: Mutex::new(HubInner {
                watchers: HashMap::new(),
                next_id: 0,
                published,
                closed: false,
            }),
            buffer: buffer.max(1),
        }
    }

    /// Offers committed revisions (in increasing order) to every live watcher.
    pub(crate) fn publish(&self, batch: &[(Revision, Vec<WatchEvent>)]) {
        let Some(last) = batch.last().map(|(rev, _)| *rev) else {
            return;
        };
        let mut inner = self.inner.lock();
        let mut dead = Vec::new();
        for (id, w) in &inner.watchers {
            let mut out = Vec::new();
            for (rev, events) in batch {
                let events: Vec<WatchEvent> = events
                    .iter()
                    .filter(|ev| w.range.contains(&ev.kv.key))
                    .map(|ev| strip_prev(ev, w.prev_kv))
                    .collect();
                if !events.is_empty() {
                    out.push(WatchResponse {
                        revision: *rev,
                        events,
                    });
                }
            }
            if !out.is_empty() && !try_send(w, LiveMsg::Events(out)) {
                dead.push(*id);
            }
        }
        for id in dead {
            inner.watchers.remove(&id);
        }
        inner.published = last;
    }

    /// Ends every watch (the store is shutting down).
    pub(crate) fn close(&self) {
        let mut inner = self.inner.lock();
        inner.closed = true;
        inner.watchers.clear();
    }

    fn register(
        &self,
        id: u64,
        range: &KeyRange,
        prev_kv: bool,
        shared: &Arc<WatcherShared>,
    ) -> Result<(mpsc::Receiver<LiveMsg>, Revision), StoreError> {
        let mut inner = self.inner.lock();
        if inner.closed {
            return Err(StoreError::Closed);
        }
        let (tx, rx) = mpsc::channel(self.buffer);
        let watcher = LiveWatcher {
            range: range.clone(),
            prev_kv,
            tx,
            shared: shared.clone(),
        };
        inner.watchers.insert(id, watcher);
        Ok((rx, inner.published))
    }

    fn unregister(&self, id: u64) {
        self.inner.lock().watchers.remove(&id);
    }

    fn request_progress(&self, id: u64, shared: &WatcherShared) {
        let mut inner = self.inner.lock();
        let published = inner.published;
        match inner.watchers.get(&id) {
            Some(w) => {
                if !try_send(w, LiveMsg::Progress(published)) {
                    inner.watchers.remove(&id);
                }
            }
            // Replaying or lagged: the stream answers once it has caught up.
            None => shared.progress_requested.store(true, Ordering::SeqCst),
        }
    }

    fn is_closed(&self) -> bool {
        self.inner.lock().closed
    }

    fn next_id(&self) -> u64 {
        let mut inner = self.inner.lock();
        inner.next_id += 1;
        inner.next_id
    }
}

/// Returns false if the watcher must be unregistered (lagged or gone).
fn try_send(w: &LiveWatcher, msg: LiveMsg) -> bool {
    match w.tx.try_send(msg) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::debug!("watcher lagged; it will catch up from history");
            // Any pending progress request is answered after the catch-up.
            w.shared.progress_requested.store(true, Ordering::SeqCst);
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

fn strip_prev(ev: &WatchEvent, prev_kv: bool) -> WatchEvent {
    WatchEvent {
        kind: ev.kind,
        kv: ev.kv.clone(),
        prev_kv: if prev_kv { ev.prev_kv.clone() } else { None },
    }
}

/// Starts a watch. The caller has already checked `start_revision` against the compacted
/// revision (replay re-checks it).
pub(crate) fn start_watch(
    hub: Arc<WatchHub>,
    history: Arc<dyn HistorySource>,
    req: WatchRequest,
) -> Result<WatchStream, StoreError> {
    let range = KeyRange::new(&req.key, req.range_end.as_deref());
    let id = hub.next_id();
    let shared = Arc::new(WatcherShared::default());
    let (rx, published) = hub.register(id, &range, req.prev_kv, &shared)?;
    let (next_rev, phase) = if req.start_revision <= 0 || req.start_revision > published {
        // Nothing to replay: everything at or after the start arrives live.
        (req.start_revision.max(published + 1), Phase::Live(rx))
    } else {
        (req.start_revision, Phase::Replay(rx))
    };
    let watcher = Watcher {
        id,
        hub: hub.clone(),
        history,
        range,
        prev_kv: req.prev_kv,
        next_rev,
        phase,
        pending: VecDeque::new(),
        shared: shared.clone(),
        progress_interval: req.progress_interval,
        done: false,
    };
    let stream = futures::stream::unfold(watcher, |mut w| async move {
        let item = w.next().await?;
        Some((item, w))
    });
    let progress: Arc<dyn Fn() + Send + Sync> = Arc::new(move || hub.request_progress(id, &shared));
    Ok(WatchStream::new(stream, Some(progress)))
}

enum Phase {
    /// Registered; reading history from `next_rev`.
    Replay(mpsc::Receiver<LiveMsg>),
    /// Caught up; following live messages.
    Live(mpsc::Receiver<LiveMsg>),
    /// Lagged and unregistered; must register again and replay.
    Resubscribe,
}

struct Watcher {
    id: u64,
    hub: Arc<WatchHub>,
    history: Arc<dyn HistorySource>,
    range: KeyRange,
    prev_kv: bool,
    /// Lowest revision not yet delivered.
    next_rev: Revision,
    phase: Phase,
    pending: VecDeque<WatchResponse>,
    shared: Arc<WatcherShared>,
    progress_interval: Option<Duration>,
    done: bool,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

impl Watcher {
    async fn next(&mut self) -> Option<Result<WatchResponse, StoreError>> {
        loop {
            if let Some(resp) = self.pending.pop_front() {
                return Some(Ok(resp));
            }
            if self.done {
                return None;
            }
            let result = match std::mem::replace(&mut self.phase, Phase::Resubscribe) {
                Phase::Resubscribe => self.resubscribe(),
                Phase::Replay(rx) => self.replay_chunk(rx).await,
                Phase::Live(rx) => self.live(rx).await,
            };
            if let Err(err) = result {
                self.done = true;
                return Some(Err(err));
            }
        }
    }

    fn resubscribe(&mut self) -> Result<(), StoreError> {
        let (rx, _) = self
            .hub
            .register(self.id, &self.range, self.prev_kv, &self.shared)?;
        self.phase = Phase::Replay(rx);
        Ok(())
    }

    async fn replay_chunk(&mut self, rx: mpsc::Receiver<LiveMsg>) -> Result<(), StoreError> {
        let history = self.history.clone();
        let range = self.range.clone();
        let from = self.next_rev;
        let chunk = tokio::task::spawn_blocking(move || {
            history.read_history(from, &range, REPLAY_CHUNK_REVISIONS)
        })
        .await
        .map_err(StoreError::backend)??;
        for (revision, events) in chunk.groups {
            if revision >= self.next_rev {
                let events = events
                    .iter()
                    .map(|ev| strip_prev(ev, self.prev_kv))
                    .collect();
                self.pending.push_back(WatchResponse { revision, events });
                self.next_rev = revision + 1;
            }
        }
        self.next_rev = self.next_rev.max(chunk.covered + 1);
        if chunk.done {
            if self.shared.progress_requested.swap(false, Ordering::SeqCst) {
                self.push_progress(chunk.covered);
            }
            self.phase = Phase::Live(rx);
        } else {
            self.phase = Phase::Replay(rx);
        }
        Ok(())
    }

    async fn live(&mut self, mut rx: mpsc::Receiver<LiveMsg>) -> Result<(), StoreError> {
        let msg = match self.progress_interval {
            None => rx.recv().await,
            Some(interval) => match tokio::time::timeout(interval, rx.recv()).await {
                Ok(msg) => msg,
                Err(_elapsed) => {
                    self.hub.request_progress(self.id, &self.shared);
                    self.phase = Phase::Live(rx);
                    return Ok(());
                }
            },
        };
        match msg {
            Some(LiveMsg::Events(responses)) => {
                for resp in responses {
                    if resp.revision >= self.next_rev {
                        self.next_rev = resp.revision + 1;
                        self.pending.push_back(resp);
                    }
                }
                self.phase = Phase::Live(rx);
            }
            Some(LiveMsg::Progress(revision)) => {
                self.push_progress(revision);
                self.phase = Phase::Live(rx);
            }
            None if self.hub.is_closed() => return Err(StoreError::Closed),
            // Lagged: the hub dropped us after we drained everything it had sent.
            None => self.phase = Phase::Resubscribe,
        }
        Ok(())
    }

    /// Everything up to `revision` (and up to what was already delivered) is delivered.
    fn push_progress(&mut self, revision: Revision) {
        let revision = revision.max(self.next_rev - 1);
        self.next_rev = revision + 1;
        self.pending.push_back(WatchResponse {
            revision,
            events: Vec::new(),
        });
    }
}
