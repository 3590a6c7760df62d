//! WATCH served from the watch cache: initial events (legacy synthetic ADDED
//! or `sendInitialEvents=true` ending with the `k8s.io/initial-events-end`
//! bookmark), live events filtered by selector (an object leaving the
//! selection is reported as DELETED), periodic bookmarks, `timeoutSeconds`,
//! and 410 Gone as an ERROR event for a resourceVersion older than the cache keeps.

use std::sync::Arc;
use std::time::Duration;

use apimachinery::ApiError;
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::Rest;
use crate::filter::Filter;
use crate::negotiation::Output;
use crate::response::Body;
use crate::watchcache::{CacheEvent, EventKind, Obj};

/// How often a watch that allows bookmarks gets one.
const BOOKMARK_EVERY: Duration = Duration::from_secs(30);

/// Body chunks of one event (unused slots are empty).
type Frames = [Bytes; 3];

struct Encoder {
    table: bool,
    /// Metadata-only events (`PartialObjectMetadata`, whichever form was asked for).
    partial: Option<crate::negotiation::Partial>,
    first: bool,
}

impl Encoder {
    /// A metadata-only event: a JSON line, or a length-prefixed protobuf frame.
    fn partial_event(p: crate::negotiation::Partial, kind: &str, object: Vec<u8>) -> Bytes {
        if p.protobuf {
            // the object as a protobuf body (what a metadata GET answers), in a frame
            let raw = crate::partial::body_of_json(object, p).unwrap_or_else(|e| {
                tracing::warn!(error = %e.message, "cannot encode a metadata-only watch event");
                Vec::new()
            });
            return Bytes::from(apimachinery::codec::protobuf::encode_watch_event(
                kind, &raw,
            ));
        }
        let mut b = Vec::with_capacity(object.len() + 32);
        b.extend_from_slice(b"{\"type\":\"");
        b.extend_from_slice(kind.as_bytes());
        b.extend_from_slice(b"\",\"object\":");
        b.extend(object);
        b.extend_from_slice(b"}\n");
        Bytes::from(b)
    }

    /// One event as body chunks. JSON events share the cached object's bytes
    /// (no copy per watcher): a static head, the object, a static tail.
    fn event(&mut self, rest: &Rest<'_>, kind: &str, obj: &Obj) -> Frames {
        if let Some(p) = self.partial {
            let partial = crate::cached::partial_metadata(&obj.json, p.api_version());
            return [
                Self::partial_event(p, kind, partial),
                Bytes::new(),
                Bytes::new(),
            ];
        }
        if !self.table {
            let head: &'static [u8] = match kind {
                "ADDED" => b"{\"type\":\"ADDED\",\"object\":",
                "MODIFIED" => b"{\"type\":\"MODIFIED\",\"object\":",
                _ => b"{\"type\":\"DELETED\",\"object\":",
            };
            return [
                Bytes::from_static(head),
                obj.json.clone(),
                Bytes::from_static(b"}\n"),
            ];
        }
        let mut t = json!({
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": obj.rv.to_string()},
            "rows": [super::table::row(rest, &obj.value(), chrono::Utc::now())],
        });
        if self.first {
            t["columnDefinitions"] = super::table::columns(rest);
            self.first = false;
        } else {
            t["columnDefinitions"] = Value::Null;
        }
        let mut b = serde_json::to_vec(&json!({"type": kind, "object": t})).unwrap_or_default();
        b.push(b'\n');
        [Bytes::from(b), Bytes::new(), Bytes::new()]
    }

    fn bookmark(&self, rest: &Rest<'_>, rv: i64, initial_end: bool) -> Bytes {
        let mut md = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            md["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        if let Some(p) = self.partial {
            let obj = json!({"kind": "PartialObjectMetadata", "apiVersion": p.api_version(), "metadata": md});
            return Self::partial_event(
                p,
                "BOOKMARK",
                serde_json::to_vec(&obj).unwrap_or_default(),
            );
        }
        let obj =
            json!({"kind": rest.res.kind, "apiVersion": rest.res.api_version(), "metadata": md});
        let mut b =
            serde_json::to_vec(&json!({"type": "BOOKMARK", "object": obj})).unwrap_or_default();
        b.push(b'\n');
        Bytes::from(b)
    }
}

fn error_event(e: &ApiError) -> Bytes {
    let mut b =
        serde_json::to_vec(&json!({"type": "ERROR", "object": e.to_status()})).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

/// Serve a WATCH.
pub async fn watch(rest: &Rest<'_>) -> Result<Response<Body>, ApiError> {
    let filter = Filter::new(
        rest.res,
        rest.query.get("labelSelector"),
        rest.query.get("fieldSelector"),
    )?;
    let rv_param = rest.query.get("resourceVersion").unwrap_or("").to_string();
    let rv_match = rest.query.get("resourceVersionMatch").unwrap_or("");
    let send_initial = rest.query.bool("sendInitialEvents");
    let bookmarks = rest.query.flag("allowWatchBookmarks");
    if send_initial.is_some() {
        let mut errs = Vec::new();
        let p = apimachinery::field::FieldPath::root("resourceVersionMatch");
        if rv_match != "NotOlderThan" {
            errs.push(apimachinery::field::FieldError::forbidden(
                &p,
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        if send_initial == Some(true) && !bookmarks {
            errs.push(apimachinery::field::FieldError::forbidden(
                &apimachinery::field::FieldPath::root("allowWatchBookmarks"),
                "sendInitialEvents requires setting allowWatchBookmarks to true",
            ));
        }
        if !errs.is_empty() {
            return Err(ApiError::invalid("ListOptions", "meta.k8s.io", "", &errs));
        }
    } else if !rv_match.is_empty() {
        return Err(ApiError::bad_request(
            "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        ));
    }
    let timeout = match rest.query.int("timeoutSeconds")? {
        Some(s) if s > 0 => Duration::from_secs(s as u64),
        _ => Duration::from_secs(1800 + rand::random::<u64>() % 1800),
    };
    let cache = rest
        .server
        .cache_for(rest.res)
        .ok_or_else(|| ApiError::internal("no watch cache"))?
        .clone();
    let objects = rest.objects();
    let prefix = if rest.res.namespaced && !rest.info.namespace.is_empty() {
        format!("{}{}/", objects.prefix(), rest.info.namespace)
    } else {
        objects.prefix().to_string()
    };
    let legacy_initial = send_initial.is_none() && (rv_param.is_empty() || rv_param == "0");
    let initial = send_initial == Some(true) || legacy_initial;
    let mut encoder = Encoder {
        table: rest.output == Output::Table,
        partial: match rest.output {
            Output::PartialMetadata(p) => Some(p),
            _ => None,
        },
        first: true,
    };
    let mut first_frames: Vec<Bytes> = Vec::new();
    let mut initial_objs: Vec<Arc<Obj>> = Vec::new();
    let mut initial_end = None;
    let (rx, start_rv) = if initial {
        if rv_param.is_empty() {
            rest.server.consistent_read().await?;
        } else if rv_param != "0" {
            wait_for(rest, &rv_param).await?;
        }
        let cacher = rest.server.cacher.clone();
        let (mut objs, rev, rx) = cache.subscribe_with_state(&prefix, || cacher.revision());
        // the watcher keeps pointers to the matching objects and encodes each event only
        // when the client has read the ones before (see `WatchTask::run`)
        objs.retain(|o| filter.matches_obj(o));
        objs.shrink_to_fit();
        initial_objs = objs;
        initial_end = (send_initial == Some(true)).then_some(rev);
        (rx, rev)
    } else {
        let rv = wait_for(rest, &rv_param).await?;
        match cache.subscribe(rv) {
            Ok(sub) => {
                for e in &sub.backlog {
                    if let Some(frame) = filter_event(rest, &filter, &mut encoder, &prefix, e) {
                        first_frames.extend(frame);
                    }
                }
                (sub.rx, sub.backlog.last().map(|e| e.rv).unwrap_or(rv))
            }
            Err(oldest) => {
                // as upstream: HTTP 200 and one ERROR event carrying 410 Expired
                let e = ApiError::resource_version_too_old(rv, oldest);
                return Ok(stream_response(rest, vec![error_event(&e)], None));
            }
        }
    };
    let (tx, body_rx) = mpsc::channel::<Bytes>(32);
    let task = WatchTask {
        initial: initial_objs,
        initial_end,
        rest_server: rest.server.clone(),
        res: rest.res,
        filter,
        prefix,
        encoder,
        rx,
        tx,
        bookmarks,
        timeout,
        last_rv: start_rv,
        query: rest.query.clone(),
        output: rest.output,
        info: rest.info.clone(),
        user: rest.user.clone(),
    };
    rest.server.metrics.watch_started(rest.res.resource);
    tokio::spawn(task.run());
    Ok(stream_response(rest, first_frames, Some(body_rx)))
}

async fn wait_for(rest: &Rest<'_>, rv: &str) -> Result<i64, ApiError> {
    let want = super::parse_resource_version(rv)?;
    super::wait_for_revision(rest, want).await?;
    Ok(want)
}

fn filter_event(
    rest: &Rest<'_>,
    filter: &Filter,
    enc: &mut Encoder,
    prefix: &str,
    e: &CacheEvent,
) -> Option<Frames> {
    if !e.obj.key.starts_with(prefix) {
        return None;
    }
    let now = filter.matches_obj(&e.obj);
    let before = e.prev.as_ref().is_some_and(|p| filter.matches_obj(p));
    let kind = match (e.kind, before, now) {
        (EventKind::Deleted, true, _) => "DELETED",
        (EventKind::Deleted, false, _) => return None,
        (_, false, true) => "ADDED",
        (_, true, true) => "MODIFIED",
        (_, true, false) => "DELETED",
        (_, false, false) => return None,
    };
    let obj = rest.server.convert_out(rest.res, e.obj.clone());
    Some(enc.event(rest, kind, &obj))
}

fn stream_response(
    rest: &Rest<'_>,
    first: Vec<Bytes>,
    rest_rx: Option<mpsc::Receiver<Bytes>>,
) -> Response<Body> {
    let head = futures::stream::iter(first.into_iter().filter(|b| !b.is_empty()));
    let tail = match rest_rx {
        Some(rx) => tokio_stream::wrappers::ReceiverStream::new(rx).boxed(),
        None => futures::stream::empty().boxed(),
    };
    let s = head
        .chain(tail)
        .map(|b| Ok::<_, std::convert::Infallible>(Frame::data(b)));
    let mut r = Response::new(BodyExt::boxed_unsync(StreamBody::new(s)));
    *r.status_mut() = StatusCode::OK;
    let ct = match rest.output {
        Output::Table => HeaderValue::from_static(super::table::TABLE_CONTENT_TYPE),
        Output::PartialMetadata(p) => HeaderValue::from_str(&p.watch_content_type())
            .unwrap_or(HeaderValue::from_static("application/json")),
        _ => HeaderValue::from_static("application/json"),
    };
    r.headers_mut().insert(header::CONTENT_TYPE, ct);
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    r
}

struct WatchTask {
    /// The initial state (matching objects) still to send as ADDED events.
    initial: Vec<Arc<Obj>>,
    /// The revision of the `k8s.io/initial-events-end` bookmark that follows the initial
    /// state (`sendInitialEvents=true`).
    initial_end: Option<i64>,
    rest_server: Arc<crate::server::ApiServer>,
    res: &'static api::ResourceInfo,
    filter: Filter,
    prefix: String,
    encoder: Encoder,
    rx: broadcast::Receiver<Arc<CacheEvent>>,
    tx: mpsc::Sender<Bytes>,
    bookmarks: bool,
    timeout: Duration,
    last_rv: i64,
    query: super::Query,
    output: Output,
    info: crate::request_info::RequestInfo,
    user: crate::auth::UserInfo,
}

impl WatchTask {
    async fn run(self) {
        let WatchTask {
            initial,
            initial_end,
            rest_server,
            res,
            filter,
            prefix,
            mut encoder,
            mut rx,
            tx,
            bookmarks,
            timeout,
            mut last_rv,
            query,
            output,
            info,
            user,
        } = self;
        let headers = http::HeaderMap::new();
        let rest = Rest {
            server: &rest_server,
            info: &info,
            res,
            query,
            headers: &headers,
            user: &user,
            output,
        };
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        // The initial state, one event at a time: the channel takes an event only when
        // the body has room, so an unread watch holds pointers into the cache and a few
        // encoded events, never an encoding of everything it is to be sent.
        let count = initial.len();
        let mut initial = initial.into_iter();
        for i in 0..=count {
            let frames = match initial.next() {
                Some(o) => encoder.event(&rest, "ADDED", &rest_server.convert_out(res, o)),
                None if i == count => match initial_end {
                    Some(rv) => [
                        encoder.bookmark(&rest, rv, true),
                        Bytes::new(),
                        Bytes::new(),
                    ],
                    None => break,
                },
                None => break,
            };
            for part in frames.into_iter().filter(|b| !b.is_empty()) {
                tokio::select! {
                    _ = &mut deadline => return rest_server.metrics.watch_ended(res.resource),
                    sent = tx.send(part) => if sent.is_err() {
                        return rest_server.metrics.watch_ended(res.resource);
                    },
                }
            }
        }
        let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
        ticker.tick().await;
        'watch: loop {
            let frames = tokio::select! {
                _ = &mut deadline => break,
                _ = tx.closed() => break,
                _ = ticker.tick(), if bookmarks => {
                    let rv = last_rv.max(rest_server.cacher.revision());
                    Some([encoder.bookmark(&rest, rv, false), Bytes::new(), Bytes::new()])
                }
                ev = rx.recv() => match ev {
                    Ok(e) => {
                        last_rv = e.rv;
                        filter_event(&rest, &filter, &mut encoder, &prefix, &e)
                    }
                    // fell too far behind: end the stream, the client re-watches from its last revision
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            for part in frames.into_iter().flatten().filter(|b| !b.is_empty()) {
                if tx.send(part).await.is_err() {
                    break 'watch;
                }
            }
        }
        rest_server.metrics.watch_ended(res.resource);
    }
}
