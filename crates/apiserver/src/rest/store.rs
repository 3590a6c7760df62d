//! The generic object store of one resource (upstream's `genericregistry.Store`
//! storage half): keys, reads from the store, create-if-absent, and
//! guaranteed updates (read, change, compare-and-swap, retry on conflict).

use std::sync::Arc;

use api::ResourceInfo;
use apimachinery::ApiError;
use bytes::Bytes;
use serde_json::Value;
use storage::{OpResponse, Revision, StoreError, TxnOp, TxnRequest};

use crate::meta;
use crate::server::ApiServer;

/// An object just created: as stored, with the revision that created it and the stored
/// JSON stamped with that revision (the very bytes later reads return).
pub struct Stored {
    obj: Value,
    revision: Revision,
    json: Option<Bytes>,
}

impl Stored {
    /// The object with its `resourceVersion`.
    pub fn into_value(mut self) -> Value {
        meta::set_resource_version(&mut self.obj, self.revision);
        self.obj
    }

    /// The stored JSON with its `resourceVersion` (and a reply's trailing newline), when it
    /// could be spliced in.
    pub fn json(&self) -> Option<&Bytes> {
        self.json.as_ref()
    }
}

/// What a guaranteed update's closure decides.
pub enum Change {
    /// Write this object.
    Put(Value),
    /// Delete the object.
    Delete,
    /// Leave it as it is (reply with the current object).
    Keep,
}

/// The object store of one resource.
pub struct ObjectStore<'a> {
    server: &'a Arc<ApiServer>,
    res: &'static ResourceInfo,
    prefix: String,
}

/// Map a store error to an API error.
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Compacted {
            requested,
            compact_revision,
        } => ApiError::resource_version_too_old(requested, compact_revision),
        other => ApiError::internal(other),
    }
}

/// The stored bytes of an object: resourceVersion is not stored (it is the revision).
pub fn encode_for_storage(obj: &Value) -> Result<Bytes, ApiError> {
    crate::cached::storage_bytes(obj)
        .map(Bytes::from)
        .map_err(ApiError::internal)
}

/// Decode stored bytes, stamping the revision as resourceVersion.
pub fn decode_stored(raw: &[u8], rev: Revision) -> Result<Value, ApiError> {
    let mut v: Value = serde_json::from_slice(raw).map_err(ApiError::internal)?;
    meta::set_resource_version(&mut v, rev);
    Ok(v)
}

impl<'a> ObjectStore<'a> {
    /// The store of `res` (HPA v1 and v2 share one).
    pub fn new(server: &'a Arc<ApiServer>, res: &'static ResourceInfo) -> Self {
        let storage = api::resources::storage_resource(res);
        Self {
            server,
            res,
            prefix: storage.key_prefix(),
        }
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key of an object.
    pub fn key(&self, namespace: &str, name: &str) -> String {
        meta::key(
            &self.prefix,
            if self.res.namespaced { namespace } else { "" },
            name,
        )
    }

    /// Read an object straight from the store.
    pub async fn get(&self, namespace: &str, name: &str) -> Result<Option<Value>, ApiError> {
        let key = self.key(namespace, name);
        let kv = self
            .server
            .store
            .get(key.as_bytes())
            .await
            .map_err(store_error)?;
        kv.map(|kv| decode_stored(&kv.value, kv.mod_revision))
            .transpose()
    }

    /// Create the object if its key is free; returns it with its resourceVersion.
    pub async fn create(&self, obj: Value) -> Result<Stored, ApiError> {
        let key = self.key(meta::namespace(&obj), meta::name(&obj));
        let bytes = encode_for_storage(&obj)?;
        self.check_size(&bytes)?;
        let txn = TxnRequest {
            compare: vec![storage::Compare::ModRevision {
                key: key.clone().into_bytes(),
                equals: 0,
            }],
            success: vec![TxnOp::Put {
                key: key.into_bytes(),
                value: bytes.clone(),
            }],
            failure: vec![],
        };
        let resp = self.server.store.txn(txn).await.map_err(store_error)?;
        if !resp.succeeded {
            return Err(ApiError::already_exists(
                &self.res.group_resource(),
                meta::name(&obj),
            ));
        }
        let json = crate::cached::stamp_reply(&bytes, resp.revision);
        Ok(Stored {
            obj,
            revision: resp.revision,
            json,
        })
    }

    fn check_size(&self, bytes: &[u8]) -> Result<(), ApiError> {
        if bytes.len() > crate::server::MAX_OBJECT_BYTES {
            return Err(ApiError::request_entity_too_large(format!(
                "etcdserver: request is too large (object of {} bytes; the limit is {})",
                bytes.len(),
                crate::server::MAX_OBJECT_BYTES
            )));
        }
        Ok(())
    }

    /// Read-modify-write with retries. `f` gets the current object (with its
    /// resourceVersion) and decides. Returns `(result, old)`: the written object
    /// (None if deleted) and the object before.
    pub async fn guaranteed_update(
        &self,
        namespace: &str,
        name: &str,
        mut f: impl FnMut(&Value) -> Result<Change, ApiError>,
    ) -> Result<(Option<Value>, Value), ApiError> {
        let key = self.key(namespace, name);
        let gr = self.res.group_resource();
        let mut current = self
            .server
            .store
            .get(key.as_bytes())
            .await
            .map_err(store_error)?;
        for _ in 0..64 {
            let Some(kv) = current.take() else {
                return Err(ApiError::not_found(&gr, name));
            };
            let old = decode_stored(&kv.value, kv.mod_revision)?;
            let (op, new) = match f(&old)? {
                Change::Keep => return Ok((Some(old.clone()), old)),
                Change::Put(v) => {
                    let bytes = encode_for_storage(&v)?;
                    if bytes == kv.value {
                        // nothing changed: no write, same resourceVersion (as upstream)
                        return Ok((Some(old.clone()), old));
                    }
                    self.check_size(&bytes)?;
                    (
                        TxnOp::Put {
                            key: key.clone().into_bytes(),
                            value: bytes,
                        },
                        Some(v),
                    )
                }
                Change::Delete => (
                    TxnOp::Delete {
                        key: key.clone().into_bytes(),
                    },
                    None,
                ),
            };
            let txn = TxnRequest {
                compare: vec![storage::Compare::ModRevision {
                    key: key.clone().into_bytes(),
                    equals: kv.mod_revision,
                }],
                success: vec![op],
                failure: vec![TxnOp::Get {
                    key: key.clone().into_bytes(),
                }],
            };
            let resp = self.server.store.txn(txn).await.map_err(store_error)?;
            if resp.succeeded {
                let new = new.map(|mut v| {
                    meta::set_resource_version(&mut v, resp.revision);
                    v
                });
                let mut old = old;
                if new.is_none() && self.res.group.is_empty() && self.res.resource == "services" {
                    super::service_alloc::release(self.server, &old).await;
                }
                if new.is_none() {
                    // a deleted object is reported at the delete's revision
                    meta::set_resource_version(&mut old, resp.revision);
                }
                return Ok((new, old));
            }
            current = resp.responses.into_iter().find_map(|r| match r {
                OpResponse::Get { kv } => kv,
                _ => None,
            });
        }
        Err(ApiError::conflict(
            &gr,
            name,
            "too many concurrent updates; please retry",
        ))
    }
}
