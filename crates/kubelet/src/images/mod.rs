//! Images on the node: references ([`reference`]), the content-addressed store shared by
//! every image ([`store`]), importing archives into it ([`archive`]), layers unpacked
//! for overlayfs ([`unpack`]) and containers' root filesystems over them ([`snapshot`]). Pulling from registries (`oci-client`) and garbage
//! collection come with the OCI runtime.

pub mod archive;
pub mod reference;
pub mod snapshot;
pub mod store;
pub mod unpack;

/// A tar header as real layer tars have them (owner and time set), for tests.
#[cfg(test)]
pub(crate) fn test_tar_header(size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_700_000_000);
    h
}
