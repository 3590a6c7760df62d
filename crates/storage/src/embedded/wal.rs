//! The write-ahead log of the embedded backend: one record per group commit, appended
//! sequentially and `fdatasync`ed before the batch is acknowledged.
//!
//! A record is *physical* and *blind*: it carries the batch's effects (the encoded events of
//! each new revision, the history range purged, the resulting current and compacted
//! revisions), never the requests, so redoing it needs no read of the prior state and redoing
//! it twice is harmless (see `recovery.rs`). The `kv` table changes are derived from the
//! events (a put event stores its key-value, a delete event removes the key).
//!
//! File layout: a sequence of frames `[len u32][crc32 u32][epoch u64][payload; len]`, little
//! endian, the CRC covering epoch and payload. The file is never truncated in the normal
//! course: a checkpoint starts a new *epoch* (stored durably in redb's `meta` first) and
//! rewinds the write position to 0, overwriting older frames in place, which keeps appends
//! from changing the file size (a cheaper `fdatasync`). A reader stops at the first frame that
//! is short, fails its CRC or belongs to another epoch: that is the end of the log (a torn
//! last frame was never acknowledged; frames of an older epoch are already checkpointed).
//!
//! This module only encodes, appends and reads frames; it knows nothing of redb.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::store::Revision;

const FRAME_HEADER: usize = 16;
/// Larger frames are taken for garbage: no batch comes close (`max_batch` requests).
const MAX_FRAME: u64 = 1 << 32;

/// The effects of one group commit, enough to redo it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct WalRecord {
    /// The current revision before the batch.
    pub start: Revision,
    /// The current revision after the batch.
    pub end: Revision,
    /// The compacted revision after the batch.
    pub compacted: Revision,
    /// The history revisions deleted, `from..to`, after the new revisions were inserted.
    pub purged: Option<(Revision, Revision)>,
    /// Each new revision with its encoded events (the `history` table value).
    pub revisions: Vec<(Revision, Vec<u8>)>,
}

impl WalRecord {
    fn encode(&self, epoch: u64, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&[0; FRAME_HEADER]);
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.end.to_le_bytes());
        out.extend_from_slice(&self.compacted.to_le_bytes());
        let (from, to) = self.purged.unwrap_or((0, 0));
        out.push(self.purged.is_some() as u8);
        out.extend_from_slice(&from.to_le_bytes());
        out.extend_from_slice(&to.to_le_bytes());
        out.extend_from_slice(&(self.revisions.len() as u32).to_le_bytes());
        for (rev, data) in &self.revisions {
            out.extend_from_slice(&rev.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
        }
        let len = (out.len() - FRAME_HEADER) as u32;
        out[0..4].copy_from_slice(&len.to_le_bytes());
        out[8..16].copy_from_slice(&epoch.to_le_bytes());
        let crc = crc32(&out[8..]);
        out[4..8].copy_from_slice(&crc.to_le_bytes());
    }

    fn decode(payload: &[u8]) -> Option<WalRecord> {
        let mut r = Cursor(payload);
        let (start, end, compacted) = (r.i64()?, r.i64()?, r.i64()?);
        let has_purge = r.take(1)?[0] == 1;
        let (from, to) = (r.i64()?, r.i64()?);
        let n = r.u32()? as usize;
        let mut revisions = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let rev = r.i64()?;
            let len = r.u32()? as usize;
            revisions.push((rev, r.take(len)?.to_vec()));
        }
        if !r.0.is_empty() {
            return None;
        }
        Some(WalRecord {
            start,
            end,
            compacted,
            purged: has_purge.then_some((from, to)),
            revisions,
        })
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// The open log file: appends frames of the current epoch at the write position.
pub(crate) struct Wal {
    file: File,
    epoch: u64,
    pos: u64,
    /// The file's length: frames or zeros up to here.
    size: u64,
    /// How far ahead of the write position the file is zero-filled when an append reaches
    /// its end (0: never): appends inside the file overwrite allocated blocks, so their
    /// `fdatasync` writes only data, no journal commit for a new length or new extents (about
    /// a third cheaper on ext4 here). Zeros end the log for a reader like a torn frame
    /// (length 0).
    prefill: u64,
    /// Zero-filling stops at this length (the `max_len` of the last [`Wal::rewind`]), so a
    /// rewind never has to cut a prefilled file back.
    prefill_limit: u64,
    buf: Vec<u8>,
}

impl Wal {
    /// Opens (creating if needed) the log at `path` and reads the frames of `epoch` from its
    /// start. The write position is left at 0: call [`Wal::rewind`] once they are
    /// checkpointed, before appending.
    pub(crate) fn open(path: &Path, epoch: u64) -> io::Result<(Wal, Vec<WalRecord>)> {
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        if !existed {
            // The new directory entry must survive a crash like the frames written into it.
            file.sync_all()?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                File::open(dir)?.sync_all()?;
            }
        }
        let records = read_frames(&file, epoch)?;
        let size = file.metadata()?.len();
        let wal = Wal {
            file,
            epoch,
            pos: 0,
            size,
            prefill: 0,
            prefill_limit: 0,
            buf: Vec::new(),
        };
        Ok((wal, records))
    }

    /// Bytes appended in the current epoch.
    pub(crate) fn len(&self) -> u64 {
        self.pos
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Writes `record` as one frame after the previous one. It is durable only once the file
    /// is `fdatasync`ed through a [`Wal::sync_handle`], which covers every frame written before.
    pub(crate) fn append(&mut self, record: &WalRecord) -> io::Result<()> {
        record.encode(self.epoch, &mut self.buf);
        self.file.write_all_at(&self.buf, self.pos)?;
        self.pos += self.buf.len() as u64;
        if self.pos > self.size {
            self.size = self.pos;
            self.prefill()?;
        }
        Ok(())
    }

    /// Zero-fill `bytes` ahead of the write position whenever an append reaches the end of
    /// the file (see the field).
    pub(crate) fn set_prefill(&mut self, bytes: u64) {
        self.prefill = bytes;
    }

    /// Zero-fills up to `prefill` bytes after the write position (the file then grows once
    /// per chunk instead of at every append).
    fn prefill(&mut self) -> io::Result<()> {
        static ZEROS: [u8; 64 << 10] = [0; 64 << 10];
        let end = (self.pos + self.prefill).min(self.prefill_limit);
        let mut at = self.pos;
        while at < end {
            let n = (end - at).min(ZEROS.len() as u64) as usize;
            self.file.write_all_at(&ZEROS[..n], at)?;
            at += n as u64;
        }
        self.size = self.size.max(end);
        Ok(())
    }

    /// A second handle on the log file, for the thread that `fdatasync`s it while the writer
    /// goes on appending.
    pub(crate) fn sync_handle(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    /// Starts `epoch` at the beginning of the file. Only once every frame written so far is
    /// checkpointed and `epoch` is durably recorded as the current one: the older frames
    /// become garbage to readers. The file keeps its size unless over `max_len`.
    pub(crate) fn rewind(&mut self, epoch: u64, max_len: u64) -> io::Result<()> {
        self.epoch = epoch;
        self.pos = 0;
        self.prefill_limit = max_len;
        if self.size > max_len {
            self.file.set_len(0)?;
            self.size = 0;
        }
        Ok(())
    }
}

/// Reads the frames of `epoch` from the start of `file` up to the first one that is torn,
/// corrupt or of another epoch.
fn read_frames(file: &File, epoch: u64) -> io::Result<Vec<WalRecord>> {
    let size = file.metadata()?.len();
    let mut records = Vec::new();
    let mut pos = 0u64;
    let mut header = [0u8; FRAME_HEADER];
    let mut body = Vec::new();
    while pos + FRAME_HEADER as u64 <= size {
        file.read_exact_at(&mut header, pos)?;
        let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as u64;
        let crc = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
        let frame_epoch = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
        let end = pos + FRAME_HEADER as u64 + len;
        if frame_epoch != epoch || len == 0 || len >= MAX_FRAME || end > size {
            break;
        }
        body.clear();
        body.extend_from_slice(&header[8..16]);
        body.resize(8 + len as usize, 0);
        file.read_exact_at(&mut body[8..], pos + FRAME_HEADER as u64)?;
        if crc32(&body) != crc {
            break;
        }
        match WalRecord::decode(&body[8..]) {
            Some(record) => records.push(record),
            None => break,
        }
        pos = end;
    }
    Ok(records)
}

/// CRC-32 (IEEE 802.3, reflected, as zlib), carry-less multiplication where the CPU has it
/// (a batch's frame is tens of KiB; a table-driven CRC cost ~1.5% of the server's CPU).
fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(start: Revision, n: usize) -> WalRecord {
        WalRecord {
            start,
            end: start + n as i64,
            compacted: 1,
            purged: n.is_multiple_of(2).then_some((1, 3)),
            revisions: (0..n)
                .map(|i| (start + 1 + i as i64, vec![i as u8; 10 + i * 100]))
                .collect(),
        }
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        let long: Vec<u8> = (0..1000u32).map(|i| (i * 31) as u8).collect();
        // The same CRC as a plain bitwise one (files written with the table-driven version
        // before stay readable).
        let mut bitwise = !0u32;
        for &b in &long {
            bitwise ^= b as u32;
            for _ in 0..8 {
                bitwise = if bitwise & 1 == 1 {
                    0xEDB8_8320 ^ (bitwise >> 1)
                } else {
                    bitwise >> 1
                };
            }
        }
        assert_eq!(crc32(&long), !bitwise);
    }

    #[test]
    fn frames_round_trip_and_stop_at_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal");
        let (mut wal, records) = Wal::open(&path, 7).unwrap();
        assert!(records.is_empty());
        let written: Vec<_> = (0..5).map(|i| record(10 * i, i as usize)).collect();
        for r in &written {
            wal.append(r).unwrap();
        }
        assert_eq!(Wal::open(&path, 7).unwrap().1, written);
        // Another epoch's frames are not this epoch's log.
        assert!(Wal::open(&path, 8).unwrap().1.is_empty());
        // Cut the last frame anywhere, or flip a byte in it: the first four remain.
        let full = std::fs::metadata(&path).unwrap().len();
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(full - 1).unwrap();
        assert_eq!(Wal::open(&path, 7).unwrap().1, written[..4]);
        file.set_len(full).unwrap();
        file.write_all_at(&[0x5a], full - 3).unwrap();
        assert_eq!(Wal::open(&path, 7).unwrap().1, written[..4]);
    }

    #[test]
    fn rewind_overwrites_older_epoch_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal");
        let (mut wal, _) = Wal::open(&path, 1).unwrap();
        wal.rewind(1, u64::MAX).unwrap();
        for i in 0..4 {
            wal.append(&record(i * 10, 3)).unwrap();
        }
        let size = std::fs::metadata(&path).unwrap().len();
        wal.rewind(2, u64::MAX).unwrap();
        let newer = record(100, 1);
        wal.append(&newer).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        // The epoch-1 frames behind the new one end the epoch-2 log.
        assert_eq!(Wal::open(&path, 2).unwrap().1, vec![newer]);
        wal.rewind(3, 10).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn zero_fill_ahead_keeps_appends_inside_the_file_and_under_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal");
        let (mut wal, _) = Wal::open(&path, 1).unwrap();
        wal.set_prefill(4096);
        wal.rewind(1, 10_000).unwrap();
        let first = record(0, 1);
        wal.append(&first).unwrap();
        let len = || std::fs::metadata(&path).unwrap().len();
        let filled = len();
        assert_eq!(filled, wal.len() + 4096);
        let written: Vec<_> = (1..4).map(|i| record(i * 10, 1)).collect();
        for r in &written {
            wal.append(r).unwrap();
        }
        // Frames written into the zero-filled region; the zeros after them end the log.
        assert!(wal.len() < filled);
        assert_eq!(len(), filled);
        let mut all = vec![first];
        all.extend(written);
        assert_eq!(Wal::open(&path, 1).unwrap().1, all);
        // Never zero-filled past the rewind's limit.
        while wal.len() < 12_000 {
            wal.append(&record(wal.len() as i64, 8)).unwrap();
        }
        assert_eq!(len(), wal.len());
    }
}
