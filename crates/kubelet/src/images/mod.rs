//! Images on the node: references ([`reference`]), the content-addressed store shared by
//! every image ([`store`]), importing archives into it ([`archive`]), layers unpacked
//! for overlayfs ([`unpack`]) and containers' root filesystems over them ([`snapshot`]). Pulling from registries (`oci-client`) and garbage
//! collection come with the OCI runtime.

pub mod archive;
pub mod reference;
pub mod snapshot;
pub mod store;
pub mod unpack;
