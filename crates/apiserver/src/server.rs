//! The API server: configuration, start-up (PKI, store, watch cache), the
//! HTTPS listener (HTTP/1.1 and HTTP/2 by ALPN, optional client
//! certificates) and the shared state every handler reads.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use api::ResourceInfo;
use apimachinery::ApiError;
use async_trait::async_trait;
use serde_json::Value;
use storage::{
    RangeRequest, RangeResponse, Revision, Store, StoreError, TxnRequest, TxnResponse,
    WatchRequest, WatchStream,
};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{AdmissionChain, AuthnChain, Authorizer, X509Authenticator};
use crate::metrics::Metrics;
use crate::pki::Pki;
use crate::watchcache::{Cacher, Obj, ResourceCache};

/// Largest request body accepted (upstream: 3 MiB).
///
/// # Memory bounds
///
/// No request may make the server allocate more than a small multiple of this limit and
/// [`MAX_OBJECT_BYTES`]. Where each bound is enforced:
///
/// - **Body**: read up to this many bytes, else 413 (`handler.rs`).
/// - **JSON**: nesting depth 128 (serde_json's recursion limit), duplicate-field
///   detection without a second copy (`apimachinery::codec::json`).
/// - **YAML**: serde-saphyr's parsing budget caps alias expansion, nodes and depth, so an
///   alias bomb is refused before it expands (`apimachinery::codec::yaml`).
/// - **Protobuf**: depth 100; every length is checked against the bytes left, so the JSON
///   built is at most a small multiple of the body (`apimachinery::codec::protobuf`).
/// - **JSON patch**: at most 10,000 operations and 3 MiB added by `copy` operations in
///   all (`apimachinery::patch::json::MAX_COPY_BYTES`, upstream's
///   `JSONPatchMaxCopyBytes`), checked before each copy is made.
/// - **Merge and strategic merge patch**: every node of the result comes from the live
///   object or the patch, so the result is at most their size together (property tests
///   in `apimachinery::patch`).
/// - **Apply**: the result is the live object merged with the applied configuration (as
///   merge patch); `managedFields` records one path per field of the result, a small
///   multiple of it, and at most 10 `Update` managers are kept (property test in
///   `apimachinery::patch`).
/// - **Stored object**: at most [`MAX_OBJECT_BYTES`] once encoded, else 413, before any
///   write (`rest/store.rs`).
/// - **Watches**: an unread watch holds pointers to its initial state (8 bytes each) and
///   at most 32 encoded events plus one 16 KiB HTTP/2 send buffer (`rest/watch.rs`,
///   `tls.rs`).
pub const MAX_REQUEST_BYTES: usize = 3 * 1024 * 1024;
/// Largest object stored (upstream's etcd limit: 1.5 MiB).
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub bind_address: std::net::IpAddr,
    /// HTTPS port (0 picks a free one).
    pub port: u16,
    /// Where PKI files live.
    pub tls_dir: PathBuf,
    /// Extra SANs for the serving certificate.
    pub extra_sans: Vec<String>,
    /// Deadlines of client connections.
    pub timeouts: crate::conn_timeouts::Timeouts,
}

/// The state shared by all handlers.
pub struct ApiServer {
    /// The store (instrumented).
    pub store: Arc<dyn Store>,
    /// The watch cache.
    pub cacher: Arc<Cacher>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Authentication.
    pub authn: AuthnChain,
    /// Authorization.
    pub authz: Box<dyn Authorizer>,
    /// Admission.
    pub admission: AdmissionChain,
    /// When the server started.
    pub started: Instant,
    /// Service ClusterIP and node port ranges.
    pub service_ranges: crate::rest::ServiceRanges,
    /// How long a read at a revision the watch cache has not reached waits for it before
    /// answering 504 "Too large resource version" (upstream: 3 s), in milliseconds.
    pub revision_wait_ms: std::sync::atomic::AtomicU64,
    /// Where the random suffix of a `generateName` comes from (five characters; tests
    /// replace it to force collisions).
    pub name_suffix: parking_lot::RwLock<NameSuffix>,
}

/// A source of `generateName` suffixes.
pub type NameSuffix = Arc<dyn Fn() -> String + Send + Sync>;

/// A store wrapper recording operation latency.
struct InstrumentedStore {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

#[async_trait]
impl Store for InstrumentedStore {
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse, StoreError> {
        let t = Instant::now();
        let r = self.inner.range(req).await;
        self.metrics.store_op("range", t.elapsed());
        r
    }
    async fn txn(&self, req: TxnRequest) -> Result<TxnResponse, StoreError> {
        let t = Instant::now();
        let r = self.inner.txn(req).await;
        self.metrics.store_op("txn", t.elapsed());
        r
    }
    async fn watch(&self, req: WatchRequest) -> Result<WatchStream, StoreError> {
        self.inner.watch(req).await
    }
    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        self.inner.compact(revision).await
    }
    async fn current_revision(&self) -> Result<Revision, StoreError> {
        self.inner.current_revision().await
    }
    async fn compacted_revision(&self) -> Result<Revision, StoreError> {
        self.inner.compacted_revision().await
    }
}

impl ApiServer {
    /// Build the server state over a store: starts the watch cache.
    pub async fn new(
        store: Arc<dyn Store>,
        service_ranges: crate::rest::ServiceRanges,
    ) -> Result<Arc<Self>> {
        let metrics = Arc::new(Metrics::new());
        let store: Arc<dyn Store> = Arc::new(InstrumentedStore {
            inner: store,
            metrics: metrics.clone(),
        });
        let mut resources: Vec<(String, Vec<&'static str>)> = api::RESOURCES
            .iter()
            .map(|r| {
                let r = api::resources::storage_resource(r);
                (r.key_prefix(), crate::filter::field_pointers(r))
            })
            .collect();
        resources.sort();
        resources.dedup();
        let cacher = Cacher::start(store.clone(), &resources)
            .await
            .context("cannot load the watch cache")?;
        let server = Arc::new(Self {
            store,
            cacher,
            metrics,
            authn: AuthnChain(vec![Arc::new(X509Authenticator)]),
            authz: Box::new(crate::node_authz::NodeAuthorizer),
            admission: AdmissionChain::default(),
            started: Instant::now(),
            service_ranges,
            revision_wait_ms: std::sync::atomic::AtomicU64::new(3000),
            name_suffix: parking_lot::RwLock::new(Arc::new(crate::rest::random_name_suffix)),
        });
        server.ensure_system_namespaces().await?;
        server.ensure_kubernetes_service().await?;
        crate::bootstrap::reconcile(&server)
            .await
            .context("cannot create the bootstrap objects")?;
        Ok(server)
    }

    /// The cache of a resource.
    pub fn cache_for(&self, res: &'static ResourceInfo) -> Option<&Arc<ResourceCache>> {
        self.cacher
            .cache(&api::resources::storage_resource(res).key_prefix())
    }

    /// Wait until the watch cache has every write the store acknowledged; returns that revision.
    pub async fn consistent_read(&self) -> Result<Revision, ApiError> {
        self.cacher
            .sync(Duration::from_secs(5))
            .await
            .map_err(|e| ApiError::timeout(e, None))
    }

    /// Convert a stored object to the version `res` serves (HPA v2 -> v1).
    pub fn convert_out(&self, res: &'static ResourceInfo, obj: Arc<Obj>) -> Arc<Obj> {
        if !crate::conversion::needs(res) {
            return obj;
        }
        let v = crate::conversion::to_served(res, obj.value());
        let json =
            bytes::Bytes::from(apimachinery::codec::order::to_vec(&v, false).unwrap_or_default());
        let ptrs = self
            .cache_for(res)
            .map(|c| c.field_ptrs().to_vec())
            .unwrap_or_default();
        Obj::from_json(obj.key.clone(), json, obj.rv, &ptrs).unwrap_or(obj)
    }

    /// [`ApiServer::convert_out`] for a bare value.
    pub fn convert_value_out(&self, res: &'static ResourceInfo, v: Value) -> Value {
        if crate::conversion::needs(res) {
            crate::conversion::to_served(res, v)
        } else {
            v
        }
    }

    /// Convert an object of the version `res` serves to the stored version.
    pub fn convert_value_in(&self, res: &'static ResourceInfo, v: Value) -> Value {
        if crate::conversion::needs(res) {
            crate::conversion::to_stored(res, v)
        } else {
            v
        }
    }

    /// Create the `default/kubernetes` Service on the first service address.
    async fn ensure_kubernetes_service(&self) -> Result<()> {
        let res = api::resources::lookup("", "v1", "services").expect("services");
        let key = format!("{}default/kubernetes", res.key_prefix());
        if self.store.get(key.as_bytes()).await?.is_some() {
            return Ok(());
        }
        let ip = self.service_ranges.first().to_string();
        let mut svc = serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default", "uid": uuid::Uuid::new_v4().to_string(),
                         "creationTimestamp": crate::meta::now_rfc3339(),
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": ip, "clusterIPs": [ip],
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
        });
        let strategy = api::registry::strategy_for(res);
        strategy.default(&mut svc);
        strategy.prepare_for_create(&mut svc);
        let ipkey = format!("/registry/capstan/serviceips/{ip}");
        let txn = TxnRequest {
            compare: vec![storage::Compare::ModRevision {
                key: key.clone().into_bytes(),
                equals: 0,
            }],
            success: vec![
                storage::TxnOp::Put {
                    key: ipkey.into_bytes(),
                    value: bytes::Bytes::from_static(b"default/kubernetes"),
                },
                storage::TxnOp::Put {
                    key: key.into_bytes(),
                    value: crate::rest::store_encode(&svc)?,
                },
            ],
            failure: vec![],
        };
        self.store.txn(txn).await?;
        Ok(())
    }

    /// Create `default`, `kube-system`, `kube-public` and `kube-node-lease` if missing.
    async fn ensure_system_namespaces(&self) -> Result<()> {
        let nsres = api::resources::lookup("", "v1", "namespaces").expect("namespaces");
        let strategy = api::registry::strategy_for(nsres);
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let key = format!("{}{}", nsres.key_prefix(), name);
            if self.store.get(key.as_bytes()).await?.is_some() {
                continue;
            }
            let mut ns = serde_json::json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "uid": uuid::Uuid::new_v4().to_string(), "creationTimestamp": crate::meta::now_rfc3339()},
            });
            strategy.default(&mut ns);
            strategy.prepare_for_create(&mut ns);
            let bytes = crate::rest::store_encode(&ns)?;
            let txn = TxnRequest {
                compare: vec![storage::Compare::ModRevision {
                    key: key.clone().into_bytes(),
                    equals: 0,
                }],
                success: vec![storage::TxnOp::Put {
                    key: key.into_bytes(),
                    value: bytes,
                }],
                failure: vec![],
            };
            self.store.txn(txn).await?;
        }
        Ok(())
    }
}

/// A running server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Set to true to stop accepting connections.
    pub shutdown: watch::Sender<bool>,
    /// The shared state.
    pub server: Arc<ApiServer>,
}

/// Bind the HTTPS listener and serve. Errors name the problem (port in use, ...).
pub async fn serve(config: &Config, pki: &Pki, server: Arc<ApiServer>) -> Result<Running> {
    let tls = crate::tls::server_config(pki)?;
    let addr = SocketAddr::new(config.bind_address, config.port);
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "port {} on {} is already in use",
                config.port,
                config.bind_address
            )
        } else {
            anyhow::anyhow!("cannot listen on {addr}: {e}")
        }
    })?;
    let addr = listener.local_addr()?;
    let (tx, rx) = watch::channel(false);
    tokio::spawn(crate::tls::accept_loop(
        listener,
        tls,
        server.clone(),
        config.timeouts,
        rx,
    ));
    Ok(Running {
        addr,
        shutdown: tx,
        server,
    })
}
