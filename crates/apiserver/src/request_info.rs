//! Parse a request path and method into what it asks for (upstream's
//! `RequestInfoFactory`): API group/version, namespace, resource, name,
//! subresource and verb. Authorization and routing both read it.

use http::Method;

/// What a request is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestInfo {
    /// True for `/api/...` and `/apis/...` resource requests.
    pub is_resource_request: bool,
    /// The raw path.
    pub path: String,
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`.
    pub verb: String,
    /// API group ("" for core).
    pub api_group: String,
    /// Version.
    pub api_version: String,
    /// Namespace, if the path names one.
    pub namespace: String,
    /// Plural resource.
    pub resource: String,
    /// Subresource, e.g. `status`.
    pub subresource: String,
    /// Object name.
    pub name: String,
    /// The path segments after the group-version (for discovery routing).
    pub parts: Vec<String>,
}

/// Parse `path` + `method` (+ whether `watch=true` is in the query).
pub fn parse(method: &Method, path: &str, watch_param: bool) -> RequestInfo {
    let mut info = RequestInfo {
        path: path.to_string(),
        verb: method.as_str().to_lowercase(),
        ..Default::default()
    };
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let rest: &[&str] = match segs.as_slice() {
        ["api", v, rest @ ..] => {
            info.api_version = v.to_string();
            rest
        }
        ["apis", g, v, rest @ ..] => {
            info.api_group = g.to_string();
            info.api_version = v.to_string();
            rest
        }
        _ => return info,
    };
    info.is_resource_request = true;
    let mut rest: Vec<&str> = rest.to_vec();
    // a legacy `/api/v1/watch/...` prefix
    let mut watch_prefix = false;
    if rest.first() == Some(&"watch") {
        watch_prefix = true;
        rest.remove(0);
    }
    if rest.first() == Some(&"namespaces") {
        if rest.len() >= 2 {
            info.namespace = rest[1].to_string();
            if rest.len() >= 3 {
                rest.drain(0..2);
            } else {
                // /namespaces/{name} is the namespace object itself
                info.resource = "namespaces".into();
                info.name = rest[1].to_string();
                info.namespace.clear();
                rest.clear();
            }
        } else {
            info.resource = "namespaces".into();
            rest.clear();
        }
    }
    if !rest.is_empty() {
        info.resource = rest[0].to_string();
        if rest.len() >= 2 {
            info.name = rest[1].to_string();
        }
        if rest.len() >= 3 {
            info.subresource = rest[2].to_string();
        }
    }
    // `/api/v1/namespaces/{ns}/status|finalize` is the namespace's own subresource
    if !info.namespace.is_empty()
        && (info.resource == "status" || info.resource == "finalize")
        && info.name.is_empty()
    {
        info.subresource = info.resource.clone();
        info.resource = "namespaces".into();
        info.name = std::mem::take(&mut info.namespace);
    }
    info.parts = rest.iter().map(|s| s.to_string()).collect();
    info.verb = match *method {
        Method::POST => "create".into(),
        Method::GET | Method::HEAD => {
            if watch_prefix || watch_param {
                "watch".into()
            } else if info.name.is_empty() {
                "list".into()
            } else {
                "get".into()
            }
        }
        Method::PUT => "update".into(),
        Method::PATCH => "patch".into(),
        Method::DELETE => {
            if info.name.is_empty() {
                "deletecollection".into()
            } else {
                "delete".into()
            }
        }
        _ => method.as_str().to_lowercase(),
    };
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_namespaced() {
        let i = parse(
            &Method::GET,
            "/api/v1/namespaces/default/pods/nginx/status",
            false,
        );
        assert_eq!((i.api_group.as_str(), i.api_version.as_str()), ("", "v1"));
        assert_eq!(
            (i.namespace.as_str(), i.resource.as_str(), i.name.as_str()),
            ("default", "pods", "nginx")
        );
        assert_eq!((i.subresource.as_str(), i.verb.as_str()), ("status", "get"));
    }

    #[test]
    fn namespace_object_and_status() {
        let i = parse(&Method::GET, "/api/v1/namespaces/kube-system", false);
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.namespace.as_str()),
            ("namespaces", "kube-system", "")
        );
        let i = parse(&Method::PUT, "/api/v1/namespaces/x/status", false);
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.subresource.as_str()),
            ("namespaces", "x", "status")
        );
        let i = parse(&Method::POST, "/api/v1/namespaces", false);
        assert_eq!(
            (i.resource.as_str(), i.verb.as_str()),
            ("namespaces", "create")
        );
    }

    #[test]
    fn group_list_watch_and_deletecollection() {
        let i = parse(&Method::GET, "/apis/apps/v1/deployments", true);
        assert_eq!(
            (i.api_group.as_str(), i.resource.as_str(), i.verb.as_str()),
            ("apps", "deployments", "watch")
        );
        let i = parse(
            &Method::DELETE,
            "/apis/apps/v1/namespaces/a/deployments",
            false,
        );
        assert_eq!(i.verb, "deletecollection");
        let i = parse(&Method::GET, "/api/v1/watch/namespaces/a/pods", false);
        assert_eq!((i.verb.as_str(), i.namespace.as_str()), ("watch", "a"));
        let i = parse(&Method::GET, "/version", false);
        assert!(!i.is_resource_request);
    }
}
