//! Images on the node: references ([`reference`]), the content-addressed store shared by
//! every image ([`store`]), and importing archives into it ([`archive`]). Pulling from
//! registries (`oci-client`), unpacking layers into root filesystems and garbage
//! collection come with the OCI runtime.

pub mod archive;
pub mod reference;
pub mod store;
