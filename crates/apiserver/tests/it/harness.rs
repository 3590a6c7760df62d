//! A tiny in-process client for the REST handlers.

use std::sync::Arc;
use std::time::Duration;

use apiserver::auth::UserInfo;
use apiserver::rest::ServiceRanges;
use apiserver::{ApiServer, request_info};
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, HeaderValue, Method};
use http_body_util::BodyExt;
use serde_json::Value;

pub struct Api {
    pub server: Arc<ApiServer>,
    pub store: Arc<dyn storage::Store>,
    admin: UserInfo,
}

pub struct Reply {
    pub code: u16,
    pub body: Value,
}

impl Api {
    pub async fn new() -> Self {
        Self::with_store(Arc::new(storage::MemoryStore::new())).await
    }

    /// A server started on `store` (a restart when another server used it before).
    pub async fn with_store(store: Arc<dyn storage::Store>) -> Self {
        let server = ApiServer::new(store.clone(), ServiceRanges::default())
            .await
            .unwrap();
        Api {
            server,
            store,
            admin: UserInfo {
                name: "admin".into(),
                groups: vec!["system:masters".into()],
            },
        }
    }

    async fn raw(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        ct: Option<&str>,
    ) -> http::Response<apiserver::response::Body> {
        self.raw_accept(method, uri, body, ct, None).await
    }

    async fn raw_accept(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        ct: Option<&str>,
        accept: Option<&str>,
    ) -> http::Response<apiserver::response::Body> {
        let body = body
            .map(|b| Bytes::from(serde_json::to_vec(&b).unwrap()))
            .unwrap_or_default();
        self.send(method, uri, body, ct, accept).await
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        body: Bytes,
        ct: Option<&str>,
        accept: Option<&str>,
    ) -> http::Response<apiserver::response::Body> {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let q = apiserver::rest::parse_query_map(Some(query));
        let watch = q
            .get("watch")
            .is_some_and(|v| apiserver::rest::query_bool(v));
        let info = request_info::parse(&method, path, watch);
        let mut headers = HeaderMap::new();
        if let Some(a) = accept {
            headers.insert(http::header::ACCEPT, HeaderValue::from_str(a).unwrap());
        }
        if let Some(ct) = ct {
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_str(ct).unwrap(),
            );
        }
        match apiserver::rest::handle(&self.server, &info, &method, &headers, q, &self.admin, body)
            .await
        {
            Ok(r) => r,
            Err(e) => apiserver::response::error(&e),
        }
    }

    /// A request with a body of raw bytes.
    pub async fn raw_body(&self, method: Method, uri: &str, body: Vec<u8>, ct: &str) -> Reply {
        let r = self
            .send(method, uri, Bytes::from(body), Some(ct), None)
            .await;
        let code = r.status().as_u16();
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        Reply {
            code,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn call(&self, method: Method, uri: &str, body: Option<Value>) -> Reply {
        self.call_ct(method, uri, body, None).await
    }

    pub async fn call_ct(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        ct: Option<&str>,
    ) -> Reply {
        let r = self.raw(method, uri, body, ct).await;
        let code = r.status().as_u16();
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        Reply {
            code,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// The reply's code and body bytes, as written.
    pub async fn call_bytes(&self, method: Method, uri: &str, body: Option<Value>) -> (u16, Bytes) {
        let r = self.raw(method, uri, body, None).await;
        let code = r.status().as_u16();
        (code, r.into_body().collect().await.unwrap().to_bytes())
    }

    /// A request with an `Accept` header: the code, `Content-Type` and body bytes (a watch's
    /// first chunk only).
    pub async fn call_accept(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        ct: Option<&str>,
        accept: &str,
    ) -> (u16, String, Bytes) {
        let r = self.raw_accept(method, uri, body, ct, Some(accept)).await;
        let code = r.status().as_u16();
        let ctype = r
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = if uri.contains("watch=true") {
            let mut s = r.into_body().into_data_stream();
            s.next().await.map(|b| b.unwrap()).unwrap_or_default()
        } else {
            r.into_body().collect().await.unwrap().to_bytes()
        };
        (code, ctype, bytes)
    }

    /// Open a watch and return a stream of decoded events.
    pub async fn watch(&self, uri: &str) -> Watch {
        let r = self.raw(Method::GET, uri, None, None).await;
        assert_eq!(r.status().as_u16(), 200);
        Watch {
            body: r.into_body().into_data_stream().boxed(),
            buf: Vec::new(),
        }
    }
}

pub struct Watch {
    body: futures::stream::BoxStream<'static, Result<Bytes, std::convert::Infallible>>,
    buf: Vec<u8>,
}

impl Watch {
    /// The next event (type, object), or None if the stream ended or nothing came within 5 s.
    pub async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                let v: Value = serde_json::from_slice(&line).unwrap();
                return Some((v["type"].as_str().unwrap().to_string(), v["object"].clone()));
            }
            match tokio::time::timeout(Duration::from_secs(5), self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buf.extend_from_slice(&chunk),
                _ => return None,
            }
        }
    }
}

pub fn cm(name: &str, labels: Value) -> Value {
    serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
}

pub fn rv(v: &Value) -> String {
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string()
}
