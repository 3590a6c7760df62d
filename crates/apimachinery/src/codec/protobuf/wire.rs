//! The protobuf wire format, read-only: varints, tags and field payloads.
//! Every read is bounds-checked; nothing here allocates.

use super::DecodeError;

/// A field's payload, by wire type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Payload<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

impl Payload<'_> {
    pub(crate) fn wire_type(&self) -> u8 {
        match self {
            Payload::Varint(_) => 0,
            Payload::Fixed64(_) => 1,
            Payload::Bytes(_) => 2,
            Payload::Fixed32(_) => 5,
        }
    }
}

/// Iterates the `(tag, payload)` pairs of one message.
pub(crate) struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
}

/// Read a base-128 varint at `*pos`.
pub(crate) fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let b = *buf.get(*pos).ok_or(DecodeError::Truncated)?;
        *pos += 1;
        if i == 9 && b > 1 {
            return Err(DecodeError::VarintOverflow);
        }
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(DecodeError::VarintOverflow)
}

fn take<'a>(buf: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], DecodeError> {
    let end = pos.checked_add(n).ok_or(DecodeError::Truncated)?;
    let s = buf.get(*pos..end).ok_or(DecodeError::Truncated)?;
    *pos = end;
    Ok(s)
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Payload<'a>), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        Some(self.read_one())
    }
}

impl<'a> Fields<'a> {
    fn read_one(&mut self) -> Result<(u32, Payload<'a>), DecodeError> {
        let key = read_varint(self.buf, &mut self.pos)?;
        let tag = key >> 3;
        if tag == 0 || tag > u64::from(u32::MAX >> 3) {
            return Err(DecodeError::InvalidTag(tag));
        }
        let payload = match key & 7 {
            0 => Payload::Varint(read_varint(self.buf, &mut self.pos)?),
            1 => {
                let b = take(self.buf, &mut self.pos, 8)?;
                Payload::Fixed64(u64::from_le_bytes(b.try_into().expect("8 bytes")))
            }
            2 => {
                let n = read_varint(self.buf, &mut self.pos)?;
                let n = usize::try_from(n).map_err(|_| DecodeError::Truncated)?;
                Payload::Bytes(take(self.buf, &mut self.pos, n)?)
            }
            5 => {
                let b = take(self.buf, &mut self.pos, 4)?;
                Payload::Fixed32(u32::from_le_bytes(b.try_into().expect("4 bytes")))
            }
            // Groups (3, 4) are not used by any Kubernetes message.
            wt => return Err(DecodeError::InvalidWireType(wt as u8)),
        };
        Ok((tag as u32, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields() {
        // 1: varint 150, 2: "hi", 3: fixed32 1, 4: fixed64 2
        let b = [
            0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1d, 1, 0, 0, 0, 0x21, 2, 0, 0, 0, 0, 0, 0,
            0,
        ];
        let got: Vec<_> = Fields::new(&b).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            got,
            vec![
                (1, Payload::Varint(150)),
                (2, Payload::Bytes(b"hi")),
                (3, Payload::Fixed32(1)),
                (4, Payload::Fixed64(2)),
            ]
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(
            Fields::new(&[0x12, 0x05, b'a']).next().unwrap(),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            Fields::new(&[0x08]).next().unwrap(),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            Fields::new(&[0x0b]).next().unwrap(),
            Err(DecodeError::InvalidWireType(3))
        );
        assert_eq!(
            Fields::new(&[0x00]).next().unwrap(),
            Err(DecodeError::InvalidTag(0))
        );
        assert_eq!(
            Fields::new(&[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
            ])
            .next()
            .unwrap(),
            Err(DecodeError::VarintOverflow)
        );
        // -1 as a ten-byte varint is fine.
        assert_eq!(
            Fields::new(&[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ])
            .next()
            .unwrap(),
            Ok((1, Payload::Varint(u64::MAX)))
        );
    }
}
