//! The redb tables of the embedded backend and the byte encoding of their values.
//!
//! - `kv`: key -> current state (`create_rev, mod_rev, version, value`); deleted keys are
//!   removed from it.
//! - `history`: one record per group commit, keyed by its last revision: every revision of
//!   the batch with its events, each with its previous key-value, so watches can replay with
//!   `prev_kv` and ranges at a past revision can undo newer events. One B-tree insert per
//!   batch instead of one per revision (format 3; formats 1 and 2 held one record per
//!   revision and are upgraded on open). From format 4 a put event's new value is left out
//!   of the record (it is in `kv` while current, then the `prev_kv` of the key's next event):
//!   each value is stored once in the history, not twice. Records with values (format 3, or
//!   written by a WAL redo) stay valid; `reader.rs` fills elided values in.
//! - `meta`: the current and the compacted revision; the revision last made durable by a
//!   checkpoint and the current WAL epoch (`checkpoint.rs`, `wal.rs`).
//!
//! The encoding is a private, fixed little-endian layout; it must stay readable by later
//! versions (bump [`FORMAT_VERSION`] and migrate if it ever changes).

use bytes::Bytes;
use redb::TableDefinition;

use crate::error::StoreError;
use crate::store::{EventType, KeyValue, Revision, WatchEvent};

pub(crate) const KV: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");
pub(crate) const HISTORY: TableDefinition<i64, &[u8]> = TableDefinition::new("history");
pub(crate) const META: TableDefinition<&str, i64> = TableDefinition::new("meta");

pub(crate) const META_REVISION: &str = "revision";
pub(crate) const META_COMPACTED: &str = "compacted_revision";
pub(crate) const META_FORMAT: &str = "format_version";
/// The revision made durable in redb itself by the last checkpoint (informational).
pub(crate) const META_DURABLE_REVISION: &str = "durable_revision";
/// The WAL epoch whose frames follow redb's durable state (missing: 0).
pub(crate) const META_WAL_EPOCH: &str = "wal_epoch";
/// The current format. Since 2 the file may be behind its write-ahead log (`<file>.wal`),
/// which must be replayed first; since 3 history records hold a whole group commit; since 4
/// they leave put values out. Older versions are upgraded on open; a binary refuses newer
/// ones (a version-1 binary would ignore the WAL, a version-3 one would read empty values).
pub(crate) const FORMAT_VERSION: i64 = 4;
/// History records hold every new value (opened as is: version 4 reads them).
pub(crate) const FORMAT_VERSION_FULL_VALUES: i64 = 3;
/// One history record per revision (upgraded to [`FORMAT_VERSION`] on open).
pub(crate) const FORMAT_VERSION_PER_REVISION: i64 = 2;
/// No write-ahead log (upgraded on open).
pub(crate) const FORMAT_VERSION_NO_WAL: i64 = 1;

fn corrupt(what: &str) -> StoreError {
    StoreError::backend(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("corrupt {what} record"),
    ))
}

/// Encodes the `kv` table value of `kv` (the key is the table key).
pub(crate) fn encode_kv(kv: &KeyValue) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + kv.value.len());
    put_meta(&mut out, kv);
    out.extend_from_slice(&kv.value);
    out
}

/// Decodes a `kv` table value; `with_value: false` skips copying the value.
pub(crate) fn decode_kv(key: &[u8], data: &[u8], with_value: bool) -> Result<KeyValue, StoreError> {
    if data.len() < 24 {
        return Err(corrupt("kv"));
    }
    let mut r = Reader(data);
    let (create_revision, mod_revision, version) = (r.i64()?, r.i64()?, r.i64()?);
    let value = if with_value {
        Bytes::copy_from_slice(r.0)
    } else {
        Bytes::new()
    };
    Ok(KeyValue {
        key: key.to_vec(),
        value,
        create_revision,
        mod_revision,
        version,
    })
}

/// Encodes the events of one revision. The key is stored once per event.
/// A `history` record: `[count u32]` then `[revision i64][len u32][encoded events]` per
/// revision, ascending (the same bytes as the revisions of a WAL record).
pub(crate) fn encode_history(revisions: &[(Revision, Vec<u8>)]) -> Vec<u8> {
    let size: usize = revisions.iter().map(|(_, data)| 12 + data.len()).sum();
    let mut out = Vec::with_capacity(4 + size);
    out.extend_from_slice(&(revisions.len() as u32).to_le_bytes());
    for (rev, data) in revisions {
        out.extend_from_slice(&rev.to_le_bytes());
        put_bytes(&mut out, data);
    }
    out
}

/// The revisions of a `history` record, ascending, each with its encoded events.
pub(crate) fn decode_history(data: &[u8]) -> Result<Vec<(Revision, &[u8])>, StoreError> {
    let mut r = Reader(data);
    let n = r.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        out.push((r.i64()?, r.bytes()?));
    }
    if !r.0.is_empty() {
        return Err(corrupt("history"));
    }
    Ok(out)
}

/// Encodes the events of one revision with every value (WAL records, which redo `kv`).
pub(crate) fn encode_events(events: &[WatchEvent]) -> Vec<u8> {
    encode_events_with(events, false)
}

/// Encodes the events of one revision for a `history` record: put events without their new
/// value (see the module docs).
pub(crate) fn encode_events_elided(events: &[WatchEvent]) -> Vec<u8> {
    encode_events_with(events, true)
}

/// Tag bit of an event whose new value is left out.
const ELIDED: u8 = 4;

fn encode_events_with(events: &[WatchEvent], elide: bool) -> Vec<u8> {
    let size: usize = events
        .iter()
        .map(|e| {
            64 + e.kv.key.len() + e.kv.value.len() + e.prev_kv.as_ref().map_or(0, |p| p.value.len())
        })
        .sum();
    let mut out = Vec::with_capacity(4 + size);
    out.extend_from_slice(&(events.len() as u32).to_le_bytes());
    for ev in events {
        let elided = elide && ev.kind == EventType::Put;
        let tag = match (ev.kind, ev.prev_kv.is_some()) {
            (EventType::Put, false) => 0,
            (EventType::Put, true) => 1,
            (EventType::Delete, false) => 2,
            (EventType::Delete, true) => 3,
        };
        out.push(if elided { tag | ELIDED } else { tag });
        put_bytes(&mut out, &ev.kv.key);
        put_meta(&mut out, &ev.kv);
        if !elided {
            put_bytes(&mut out, &ev.kv.value);
        }
        if let Some(prev) = &ev.prev_kv {
            put_meta(&mut out, prev);
            put_bytes(&mut out, &prev.value);
        }
    }
    out
}

/// Decodes the events of one revision; an elided value decodes as empty (see
/// [`decode_events_marked`]).
pub(crate) fn decode_events(data: &[u8]) -> Result<Vec<WatchEvent>, StoreError> {
    Ok(decode_events_marked(data)?
        .into_iter()
        .map(|(ev, _)| ev)
        .collect())
}

/// Decodes the events of one revision, each with whether its new value was left out.
pub(crate) fn decode_events_marked(data: &[u8]) -> Result<Vec<(WatchEvent, bool)>, StoreError> {
    let mut r = Reader(data);
    let n = r.u32()? as usize;
    let mut events = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let tag = r.u8()?;
        if tag > (3 | ELIDED) || (tag & ELIDED != 0 && tag & 2 != 0) {
            return Err(corrupt("history"));
        }
        let elided = tag & ELIDED != 0;
        let kind = if tag & 2 == 0 {
            EventType::Put
        } else {
            EventType::Delete
        };
        let key = r.bytes()?.to_vec();
        let kv = r.kv(&key, !elided)?;
        let prev_kv = if tag & 1 == 1 {
            Some(r.kv(&key, true)?)
        } else {
            None
        };
        events.push((WatchEvent { kind, kv, prev_kv }, elided));
    }
    Ok(events)
}

fn put_meta(out: &mut Vec<u8>, kv: &KeyValue) {
    out.extend_from_slice(&kv.create_revision.to_le_bytes());
    out.extend_from_slice(&kv.mod_revision.to_le_bytes());
    out.extend_from_slice(&kv.version.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.0.len() < n {
            return Err(corrupt("history"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn i64(&mut self) -> Result<i64, StoreError> {
        Ok(i64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn bytes(&mut self) -> Result<&'a [u8], StoreError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn kv(&mut self, key: &[u8], with_value: bool) -> Result<KeyValue, StoreError> {
        let (create_revision, mod_revision, version) = (self.i64()?, self.i64()?, self.i64()?);
        let value = if with_value {
            Bytes::copy_from_slice(self.bytes()?)
        } else {
            Bytes::new()
        };
        Ok(KeyValue {
            key: key.to_vec(),
            value,
            create_revision,
            mod_revision,
            version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip() {
        let prev = KeyValue {
            key: b"k".to_vec(),
            value: Bytes::from_static(b"old"),
            create_revision: 2,
            mod_revision: 3,
            version: 2,
        };
        let events = vec![
            WatchEvent {
                kind: EventType::Put,
                kv: KeyValue {
                    value: Bytes::from_static(b"new"),
                    mod_revision: 4,
                    version: 3,
                    ..prev.clone()
                },
                prev_kv: Some(prev.clone()),
            },
            WatchEvent {
                kind: EventType::Put,
                kv: KeyValue {
                    key: b"n".to_vec(),
                    value: Bytes::from_static(b"x"),
                    create_revision: 4,
                    mod_revision: 4,
                    version: 1,
                },
                prev_kv: None,
            },
            WatchEvent {
                kind: EventType::Delete,
                kv: KeyValue {
                    key: b"d".to_vec(),
                    mod_revision: 4,
                    ..Default::default()
                },
                prev_kv: Some(KeyValue {
                    key: b"d".to_vec(),
                    ..prev.clone()
                }),
            },
        ];
        assert_eq!(decode_events(&encode_events(&events)).unwrap(), events);
        assert!(decode_events(&encode_events(&events)[..10]).is_err());
        // Put values left out of history records; everything else is kept.
        let marked = decode_events_marked(&encode_events_elided(&events)).unwrap();
        assert_eq!(
            marked.iter().map(|(_, e)| *e).collect::<Vec<_>>(),
            [true, true, false]
        );
        for ((got, _), want) in marked.iter().zip(&events) {
            let expect_value = if want.kind == EventType::Put {
                Bytes::new()
            } else {
                want.kv.value.clone()
            };
            assert_eq!(got.kv.value, expect_value);
            assert_eq!(
                (got.kind, &got.kv.key, got.kv.mod_revision, got.kv.version),
                (
                    want.kind,
                    &want.kv.key,
                    want.kv.mod_revision,
                    want.kv.version
                )
            );
            assert_eq!(got.prev_kv, want.prev_kv);
        }
        assert!(encode_events_elided(&events).len() < encode_events(&events).len());
    }

    #[test]
    fn kv_round_trip() {
        let kv = KeyValue {
            key: b"k".to_vec(),
            value: Bytes::from_static(b"v"),
            create_revision: 2,
            mod_revision: 5,
            version: 3,
        };
        assert_eq!(decode_kv(b"k", &encode_kv(&kv), true).unwrap(), kv);
        assert_eq!(
            decode_kv(b"k", &encode_kv(&kv), false).unwrap().value,
            Bytes::new()
        );
    }
}
