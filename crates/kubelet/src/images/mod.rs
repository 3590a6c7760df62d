//! Images on the node: references ([`reference`]), the content-addressed store shared by
//! every image ([`store`]), importing archives into it ([`archive`]) and layers unpacked
//! for overlayfs ([`unpack`]). Pulling from registries (`oci-client`) and garbage
//! collection come with the OCI runtime.

pub mod archive;
pub mod reference;
pub mod store;
pub mod unpack;
