//! An in-process API server over the memory store, seeded with one object of a few
//! kinds, that sends requests through the whole HTTP pipeline and checks their answers.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use apiserver::ApiServer;
use apiserver::auth::ConnectionAuth;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

/// The seeded objects: (group, URL of the object).
pub(super) const SEEDED: &[(&str, &str)] = &[
    ("", "/api/v1/namespaces/default/configmaps/c"),
    ("", "/api/v1/namespaces/default/secrets/s"),
    ("", "/api/v1/namespaces/default/pods/p"),
    ("", "/api/v1/namespaces/default/services/svc"),
    ("apps", "/apis/apps/v1/namespaces/default/deployments/d"),
    (
        "events.k8s.io",
        "/apis/events.k8s.io/v1/namespaces/default/events/e",
    ),
];

/// The lists read after each input, to check that everything stored is readable.
const LISTS: &[(&str, &str)] = &[
    ("", "/api/v1/configmaps"),
    ("", "/api/v1/secrets"),
    ("", "/api/v1/pods"),
    ("", "/api/v1/services"),
    ("", "/api/v1/namespaces"),
    ("apps", "/apis/apps/v1/deployments"),
    ("events.k8s.io", "/apis/events.k8s.io/v1/events"),
];

/// What a request got.
#[derive(Debug)]
pub struct Outcome {
    /// HTTP status.
    pub code: u16,
    /// The body, if JSON.
    pub body: Value,
}

/// A fresh in-process server with its own runtime.
pub struct Server {
    rt: tokio::runtime::Runtime,
    server: Arc<ApiServer>,
    admin: ConnectionAuth,
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// A server over an empty memory store, with the seeded objects created.
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let store: Arc<dyn storage::Store> = Arc::new(storage::MemoryStore::new());
        let server = rt
            .block_on(ApiServer::new(store, Default::default()))
            .expect("an API server");
        // reads ahead of the store answer at once, not after upstream's 3 s
        server.revision_wait_ms.store(20, Ordering::Relaxed);
        let s = Server {
            rt,
            server,
            admin: ConnectionAuth {
                client_cert: Some(("admin".into(), vec!["system:masters".into()])),
            },
        };
        for (url, obj) in seeds() {
            let collection = &url[..url.rfind('/').unwrap_or(0)];
            let body = serde_json::to_vec(&obj).unwrap_or_default();
            let o = s.send("POST", collection, Some("application/json"), &body);
            assert_eq!(o.code, 201, "seeding {url}: {}", o.body);
        }
        s
    }

    /// Send one request.
    pub fn send(
        &self,
        method: &str,
        uri: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Outcome {
        let mut req = http::Request::builder().method(method).uri(uri);
        if let Some(ct) = content_type {
            req = req.header(http::header::CONTENT_TYPE, ct);
        }
        let Ok(req) = req.body(Full::new(Bytes::copy_from_slice(body))) else {
            // not an HTTP request at all (a URI no client could send)
            return Outcome {
                code: 0,
                body: Value::Null,
            };
        };
        self.rt.block_on(async {
            let resp = apiserver::handler::handle(self.server.clone(), &self.admin, req).await;
            let code = resp.status().as_u16();
            // a watch that started is a stream: its status is what counts (an error is not)
            let watch = code == 200
                && (resp
                    .headers()
                    .get(http::header::CONTENT_TYPE)
                    .is_some_and(|v| v.to_str().unwrap_or("").contains("watch"))
                    || uri.contains("watch="));
            if watch {
                return Outcome {
                    code,
                    body: Value::Null,
                };
            }
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            Outcome {
                code,
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            }
        })
    }

    /// Send one request and check that its answer is no 5xx.
    pub fn checked(
        &self,
        method: &str,
        uri: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Outcome {
        let o = self.send(method, uri, content_type, body);
        let too_large =
            o.code == 504 && o.body["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge";
        assert!(
            o.code < 500 || too_large,
            "{method} {uri} ({content_type:?}, body {:?}) answered {}: {}",
            String::from_utf8_lossy(body),
            o.code,
            o.body
        );
        o
    }

    /// Everything stored is readable by `k8s-openapi`: the seeded objects' lists, read
    /// through the API.
    pub fn check_stored(&self) {
        for (group, url) in LISTS {
            let o = self.send("GET", url, None, b"");
            assert_eq!(o.code, 200, "GET {url}: {}", o.body);
            if let Err(e) = crate::kinds::decode_list(group, &o.body) {
                panic!("a stored object is not readable: {e}");
            }
        }
    }
}

/// The seeded objects: (URL, object).
fn seeds() -> Vec<(&'static str, Value)> {
    let meta =
        |name: &str| json!({"name": name, "namespace": "default", "labels": {"app": "fuzz"}});
    vec![
        (
            SEEDED[0].1,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("c"),
                "data": {"k": "v"}, "binaryData": {"b": "YWJj"}}),
        ),
        (
            SEEDED[1].1,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("s"),
                "data": {"k": "YWJj"}, "type": "Opaque"}),
        ),
        (
            SEEDED[2].1,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta("p"),
                "spec": {"containers": [{"name": "c", "image": "nginx",
                    "ports": [{"containerPort": 80}],
                    "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}}}]}}),
        ),
        (
            SEEDED[3].1,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": meta("svc"),
                "spec": {"selector": {"app": "fuzz"}, "ports": [{"port": 80, "targetPort": "http"}]}}),
        ),
        (
            SEEDED[4].1,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("d"),
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "fuzz"}},
                    "template": {"metadata": {"labels": {"app": "fuzz"}},
                        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
        ),
        (
            SEEDED[5].1,
            json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta("e"),
                "eventTime": "2024-01-01T00:00:00.000000Z", "type": "Normal", "reason": "R",
                "action": "A", "reportingController": "x/y", "reportingInstance": "i",
                "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}}),
        ),
    ]
}
