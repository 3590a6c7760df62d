//! The watch cache (upstream's `Cacher`): one store watch over `/registry/`
//! feeds an in-memory copy of every resource, which serves lists and watches
//! so thousands of watchers cost one store watch. Each resource keeps a ring
//! of recent events so a watch can resume from a recent resourceVersion; older
//! ones get 410 Gone.
//!
//! Consistency: every object carries the store revision of its last change.
//! `wait_for` blocks until the cache has applied a given revision, which is how
//! a read after a write sees the write (the handler first asks the store for
//! its current revision). This module must not apply any API semantics beyond
//! decoding stored JSON and stamping `metadata.resourceVersion`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use parking_lot::RwLock;
use storage::{EventType, RangeRequest, Revision, Store, StoreError, WatchRequest};
use tokio::sync::{broadcast, watch};

/// The registry root every cached key lives under.
pub const REGISTRY_PREFIX: &str = "/registry/";

/// How many recent events each resource keeps for resuming watches.
const EVENT_RING: usize = 10_000;
/// Per-watcher broadcast buffer; a watcher that falls further behind is ended.
const BROADCAST_CAPACITY: usize = 4096;

pub use crate::cached::Obj;

/// Kind of a cache event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Deleted.
    Deleted,
}

impl EventKind {
    /// The watch event type string.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Added => "ADDED",
            EventKind::Modified => "MODIFIED",
            EventKind::Deleted => "DELETED",
        }
    }
}

/// One change of one object.
#[derive(Debug, Clone)]
pub struct CacheEvent {
    /// What happened.
    pub kind: EventKind,
    /// The object after the change (for a delete: the last state, stamped with the delete revision).
    pub obj: Arc<Obj>,
    /// The object before the change, if any.
    pub prev: Option<Arc<Obj>>,
    /// Revision of the change.
    pub rv: Revision,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<String, Arc<Obj>>,
    events: VecDeque<Arc<CacheEvent>>,
    /// Every event with a revision above `floor` is in `events`.
    floor: Revision,
    /// Revision of the last applied event.
    last_rv: Revision,
}

/// The cache of one resource (one key prefix).
pub struct ResourceCache {
    prefix: String,
    field_ptrs: Vec<&'static str>,
    inner: RwLock<Inner>,
    tx: broadcast::Sender<Arc<CacheEvent>>,
}

/// A consistent view for a list: the objects and the revision they are current at.
pub struct Snapshot {
    /// Objects in key order.
    pub objects: Vec<Arc<Obj>>,
    /// The cache revision of the snapshot.
    pub revision: Revision,
}

/// What a new watcher gets: past events to replay, then a live receiver.
pub struct Subscription {
    /// Events after the requested revision already in the cache.
    pub backlog: Vec<Arc<CacheEvent>>,
    /// Live events after the backlog.
    pub rx: broadcast::Receiver<Arc<CacheEvent>>,
}

impl ResourceCache {
    fn new(prefix: String, field_ptrs: Vec<&'static str>) -> Self {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        Self {
            prefix,
            field_ptrs,
            inner: RwLock::new(Inner::default()),
            tx,
        }
    }

    /// The JSON pointers of the fields this resource's objects are indexed by.
    pub fn field_ptrs(&self) -> &[&'static str] {
        &self.field_ptrs
    }

    /// The key prefix of this resource.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// One object by key.
    pub fn get(&self, key: &str) -> Option<Arc<Obj>> {
        self.inner.read().objects.get(key).cloned()
    }

    /// Objects with keys starting with `prefix` and greater than `after` (for continue tokens),
    /// filtered, at most `limit` (0 = all). Returns the objects and whether more remain.
    pub fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        filter: &dyn Fn(&Obj) -> bool,
    ) -> (Vec<Arc<Obj>>, bool) {
        let inner = self.inner.read();
        let start = match after {
            Some(a) => std::ops::Bound::Excluded(a.to_string()),
            None => std::ops::Bound::Included(prefix.to_string()),
        };
        let mut out = Vec::new();
        let mut more = false;
        for (k, o) in inner.objects.range((start, std::ops::Bound::Unbounded)) {
            if !k.starts_with(prefix) {
                break;
            }
            if !filter(o) {
                continue;
            }
            if limit > 0 && out.len() == limit {
                more = true;
                break;
            }
            out.push(o.clone());
        }
        (out, more)
    }

    /// Number of objects cached.
    pub fn len(&self) -> usize {
        self.inner.read().objects.len()
    }

    /// True if no objects are cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Subscribe to events after `rv`. `Err(oldest)` if `rv` is older than the ring keeps.
    pub fn subscribe(&self, rv: Revision) -> Result<Subscription, Revision> {
        let inner = self.inner.read();
        if rv < inner.floor {
            return Err(inner.floor);
        }
        let backlog = inner.events.iter().filter(|e| e.rv > rv).cloned().collect();
        // subscribing under the read lock: writers send under the write lock, so
        // nothing falls between the backlog and the receiver
        let rx = self.tx.subscribe();
        Ok(Subscription { backlog, rx })
    }

    /// Subscribe from now, with the current objects (as the backlog of synthetic
    /// ADDED events) and the revision they are current at. `global` reads the
    /// cacher's applied revision.
    pub fn subscribe_with_state(
        &self,
        prefix: &str,
        global: impl Fn() -> Revision,
    ) -> (
        Vec<Arc<Obj>>,
        Revision,
        broadcast::Receiver<Arc<CacheEvent>>,
    ) {
        let inner = self.inner.read();
        let rev = global().max(inner.last_rv);
        let objs = inner
            .objects
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, o)| o.clone())
            .collect();
        (objs, rev, self.tx.subscribe())
    }

    /// Number of live watchers.
    pub fn watchers(&self) -> usize {
        self.tx.receiver_count()
    }

    fn apply(&self, events: Vec<CacheEvent>) {
        let mut inner = self.inner.write();
        for e in events {
            match e.kind {
                EventKind::Deleted => {
                    inner.objects.remove(&e.obj.key);
                }
                _ => {
                    inner.objects.insert(e.obj.key.clone(), e.obj.clone());
                }
            }
            inner.last_rv = inner.last_rv.max(e.rv);
            let e = Arc::new(e);
            if inner.events.len() >= EVENT_RING
                && let Some(old) = inner.events.pop_front()
            {
                inner.floor = old.rv;
            }
            inner.events.push_back(e.clone());
            let _ = self.tx.send(e);
        }
    }

    /// Forget events at or below `rev` (the store compacted them): watches
    /// from there get 410 Gone, as they would from the store.
    fn trim(&self, rev: Revision) {
        let mut inner = self.inner.write();
        while inner.events.front().is_some_and(|e| e.rv <= rev) {
            inner.events.pop_front();
        }
        inner.floor = inner.floor.max(rev);
    }

    /// Take a fresh listing at `rev`: the first load just installs it; a
    /// relist (after the store watch failed) emits the differences as events.
    fn install(&self, objects: BTreeMap<String, Arc<Obj>>, rev: Revision) {
        {
            let mut inner = self.inner.write();
            if inner.objects.is_empty() && inner.events.is_empty() {
                inner.objects = objects;
                inner.floor = rev;
                inner.last_rv = rev;
                return;
            }
        }
        let diff = self.reset(objects, rev);
        self.apply(diff);
        let mut inner = self.inner.write();
        inner.floor = inner.floor.max(rev);
    }

    fn reset(&self, objects: BTreeMap<String, Arc<Obj>>, rev: Revision) -> Vec<CacheEvent> {
        // after a relist: emit the differences as events
        let mut diff = Vec::new();
        {
            let inner = self.inner.read();
            for (k, o) in &objects {
                match inner.objects.get(k) {
                    None => diff.push(CacheEvent {
                        kind: EventKind::Added,
                        obj: o.clone(),
                        prev: None,
                        rv: rev,
                    }),
                    Some(p) if p.rv != o.rv => diff.push(CacheEvent {
                        kind: EventKind::Modified,
                        obj: o.clone(),
                        prev: Some(p.clone()),
                        rv: rev,
                    }),
                    _ => {}
                }
            }
            for (k, p) in &inner.objects {
                if !objects.contains_key(k) {
                    diff.push(CacheEvent {
                        kind: EventKind::Deleted,
                        obj: p.clone(),
                        prev: Some(p.clone()),
                        rv: rev,
                    });
                }
            }
        }
        diff
    }
}

/// All resource caches plus the one store watch that feeds them.
pub struct Cacher {
    store: Arc<dyn Store>,
    caches: HashMap<String, Arc<ResourceCache>>,
    rev_tx: watch::Sender<Revision>,
    rev_rx: watch::Receiver<Revision>,
}

impl Cacher {
    /// Build caches for the given key prefixes, load them from the store and
    /// start the feeding watch. Returns once the initial load is done.
    /// `resources` are `(key prefix, selectable field pointers)`.
    pub async fn start(
        store: Arc<dyn Store>,
        resources: &[(String, Vec<&'static str>)],
    ) -> Result<Arc<Self>, StoreError> {
        let caches = resources
            .iter()
            .map(|(p, f)| {
                (
                    p.clone(),
                    Arc::new(ResourceCache::new(p.clone(), f.clone())),
                )
            })
            .collect();
        let (rev_tx, rev_rx) = watch::channel(0);
        let c = Arc::new(Self {
            store,
            caches,
            rev_tx,
            rev_rx,
        });
        let rev = c.load().await?;
        let feeder = c.clone();
        tokio::spawn(async move { feeder.run(rev).await });
        let trimmer = Arc::downgrade(&c);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(c) = trimmer.upgrade() else { return };
                if let Ok(compacted) = c.store.compacted_revision().await
                    && compacted > 0
                {
                    for cache in c.caches.values() {
                        cache.trim(compacted);
                    }
                }
            }
        });
        Ok(c)
    }

    /// The cache of a key prefix.
    pub fn cache(&self, prefix: &str) -> Option<&Arc<ResourceCache>> {
        self.caches.get(prefix)
    }

    /// The revision the caches have applied.
    pub fn revision(&self) -> Revision {
        *self.rev_rx.borrow()
    }

    /// Wait until the caches have applied `rev` (or `timeout` passes: false).
    pub async fn wait_for(&self, rev: Revision, timeout: Duration) -> bool {
        let mut rx = self.rev_rx.clone();
        if *rx.borrow() >= rev {
            return true;
        }
        tokio::time::timeout(timeout, rx.wait_for(|r| *r >= rev))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// A consistent read point: wait until the caches have everything the store has.
    pub async fn sync(&self, timeout: Duration) -> Result<Revision, StoreError> {
        let rev = self.store.current_revision().await?;
        if self.wait_for(rev, timeout).await {
            Ok(self.revision().max(rev))
        } else {
            Err(StoreError::InvalidRequest(format!(
                "watch cache did not reach revision {rev}"
            )))
        }
    }

    fn cache_for_key(&self, key: &str) -> Option<&Arc<ResourceCache>> {
        let rest = key.strip_prefix(REGISTRY_PREFIX)?;
        let mut it = rest.splitn(3, '/');
        let a = it.next()?;
        let b = it.next();
        if let Some(b) = b
            && let Some(c) = self.caches.get(&format!("{REGISTRY_PREFIX}{a}/{b}/"))
        {
            return Some(c);
        }
        self.caches.get(&format!("{REGISTRY_PREFIX}{a}/"))
    }

    async fn load(&self) -> Result<Revision, StoreError> {
        let t = std::time::Instant::now();
        // every resource at one revision, each read and decoded on its own
        // blocking thread: start-up time is dominated by this
        let rev = self.store.current_revision().await?;
        let loads = self.caches.values().map(|cache| {
            let store = self.store.clone();
            let cache = cache.clone();
            async move {
                let req = RangeRequest::prefix(cache.prefix.as_bytes().to_vec()).at_revision(rev);
                let resp = store.range(req).await?;
                let decoder = cache.clone();
                let objs = tokio::task::spawn_blocking(move || {
                    resp.kvs
                        .iter()
                        .filter_map(|kv| {
                            let key = String::from_utf8_lossy(&kv.key).into_owned();
                            let o =
                                Obj::decode(key, &kv.value, kv.mod_revision, &decoder.field_ptrs)?;
                            Some((o.key.clone(), o))
                        })
                        .collect::<BTreeMap<String, Arc<Obj>>>()
                })
                .await
                .map_err(StoreError::backend)?;
                Ok::<_, StoreError>((cache, objs))
            }
        });
        let loaded = futures::future::try_join_all(loads).await?;
        let mut n = 0;
        for (cache, objs) in loaded {
            n += objs.len();
            cache.install(objs, rev);
        }
        self.rev_tx.send_replace(rev);
        tracing::info!(objects = n, took = ?t.elapsed(), "watch cache loaded");
        Ok(rev)
    }

    async fn run(self: Arc<Self>, mut rev: Revision) {
        loop {
            let req = WatchRequest {
                progress_interval: Some(Duration::from_secs(5)),
                ..WatchRequest::prefix(REGISTRY_PREFIX.as_bytes().to_vec(), rev + 1).with_prev_kv()
            };
            let mut stream = match self.store.watch(req).await {
                Ok(s) => s,
                Err(StoreError::Closed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "watch cache: store watch failed; relisting");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    match self.load().await {
                        Ok(r) => rev = r,
                        Err(StoreError::Closed) => return,
                        Err(_) => {}
                    }
                    continue;
                }
            };
            while let Some(item) = stream.next().await {
                match item {
                    Ok(resp) => {
                        self.dispatch(resp.revision, resp.events);
                        rev = rev.max(resp.revision);
                        self.rev_tx.send_replace(rev);
                    }
                    Err(StoreError::Closed) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "watch cache: store watch ended");
                        break;
                    }
                }
            }
        }
    }

    fn dispatch(&self, rev: Revision, events: Vec<storage::WatchEvent>) {
        let mut per: HashMap<String, Vec<CacheEvent>> = HashMap::new();
        for ev in events {
            let key = String::from_utf8_lossy(&ev.kv.key).into_owned();
            let Some(cache) = self.cache_for_key(&key) else {
                continue;
            };
            let prev = cache.get(&key);
            let ce = match ev.kind {
                EventType::Put => {
                    let Some(obj) =
                        Obj::decode(key, &ev.kv.value, ev.kv.mod_revision, &cache.field_ptrs)
                    else {
                        continue;
                    };
                    let kind = if prev.is_some() {
                        EventKind::Modified
                    } else {
                        EventKind::Added
                    };
                    CacheEvent {
                        kind,
                        obj,
                        prev,
                        rv: rev,
                    }
                }
                EventType::Delete => {
                    let Some(p) = prev else { continue };
                    // the deleted object as last seen, stamped with the delete revision
                    let obj = p.restamped(rev);
                    CacheEvent {
                        kind: EventKind::Deleted,
                        obj,
                        prev: Some(p),
                        rv: rev,
                    }
                }
            };
            per.entry(cache.prefix.clone()).or_default().push(ce);
        }
        for (prefix, evs) in per {
            if let Some(c) = self.caches.get(&prefix) {
                c.apply(evs);
            }
        }
    }
}
