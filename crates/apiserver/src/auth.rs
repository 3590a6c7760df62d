//! The request pipeline's security stages: authentication (x509 client
//! certificates, anonymous), authorization and admission. Each stage is a
//! trait with one implementation for now; the security work adds RBAC,
//! tokens and admission plugins behind the same traits.

use std::sync::Arc;

use apimachinery::ApiError;
use async_trait::async_trait;
use serde_json::Value;

use crate::request_info::RequestInfo;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// User name.
    pub name: String,
    /// Groups.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// The anonymous user.
    pub fn anonymous() -> Self {
        Self {
            name: "system:anonymous".into(),
            groups: vec!["system:unauthenticated".into()],
        }
    }
}

/// What a connection presented (its verified client certificate, if any).
#[derive(Debug, Clone, Default)]
pub struct ConnectionAuth {
    /// The subject of the verified client certificate: (CN, [O...]).
    pub client_cert: Option<(String, Vec<String>)>,
}

/// Authentication: who is calling.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// The user of a request, or None to fall through to the next authenticator.
    async fn authenticate(
        &self,
        conn: &ConnectionAuth,
        headers: &http::HeaderMap,
    ) -> Result<Option<UserInfo>, ApiError>;
}

/// x509 client certificates: user = CN, groups = O.
pub struct X509Authenticator;

#[async_trait]
impl Authenticator for X509Authenticator {
    async fn authenticate(
        &self,
        conn: &ConnectionAuth,
        _: &http::HeaderMap,
    ) -> Result<Option<UserInfo>, ApiError> {
        Ok(conn.client_cert.as_ref().map(|(cn, orgs)| {
            let mut groups = orgs.clone();
            groups.push("system:authenticated".into());
            UserInfo {
                name: cn.clone(),
                groups,
            }
        }))
    }
}

/// Authenticate with each authenticator in turn, then anonymous.
pub struct AuthnChain(pub Vec<Arc<dyn Authenticator>>);

impl AuthnChain {
    /// The user of a request.
    pub async fn authenticate(
        &self,
        conn: &ConnectionAuth,
        headers: &http::HeaderMap,
    ) -> Result<UserInfo, ApiError> {
        for a in &self.0 {
            if let Some(u) = a.authenticate(conn, headers).await? {
                return Ok(u);
            }
        }
        if headers.contains_key(http::header::AUTHORIZATION) {
            // a credential we cannot verify is an error, not anonymous access
            return Err(ApiError::unauthorized("Unauthorized"));
        }
        Ok(UserInfo::anonymous())
    }
}

/// Authorization decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied, with the reason.
    Deny(String),
}

/// Authorization: may this user do this.
pub trait Authorizer: Send + Sync {
    /// Decide.
    fn authorize(&self, user: &UserInfo, info: &RequestInfo) -> Decision;
}

/// `system:masters` may do anything; anonymous users may only read the
/// version and health endpoints.
pub struct MastersAuthorizer;

/// Paths anyone may GET.
pub const PUBLIC_PATHS: &[&str] = &["/version", "/version/", "/healthz", "/livez", "/readyz"];

impl Authorizer for MastersAuthorizer {
    fn authorize(&self, user: &UserInfo, info: &RequestInfo) -> Decision {
        if user.groups.iter().any(|g| g == "system:masters") {
            return Decision::Allow;
        }
        if !info.is_resource_request
            && info.verb == "get"
            && PUBLIC_PATHS.contains(&info.path.as_str())
        {
            return Decision::Allow;
        }
        Decision::Deny("no RBAC policy matched".into())
    }
}

/// The Forbidden error upstream gives a denied request.
pub fn forbidden(user: &UserInfo, info: &RequestInfo, _why: &str) -> ApiError {
    if info.is_resource_request && !info.resource.is_empty() {
        let gr = apimachinery::GroupResource::new(info.api_group.clone(), info.resource.clone());
        let scope = if info.namespace.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace \"{}\"", info.namespace)
        };
        // upstream names the group even when it is the core group ("")
        let res = format!("\"{}\" in API group \"{}\"", info.resource, info.api_group);
        ApiError::forbidden(
            &gr,
            &info.name,
            format!(
                "User \"{}\" cannot {} resource {res} {scope}",
                user.name, info.verb
            ),
        )
    } else {
        ApiError::forbidden_message(format!(
            "forbidden: User \"{}\" cannot {} path \"{}\"",
            user.name, info.verb, info.path
        ))
    }
}

/// Admission: mutate and validate objects before they are stored.
pub trait Admission: Send + Sync {
    /// Mutating admission; may change `obj`.
    fn admit(
        &self,
        _user: &UserInfo,
        _info: &RequestInfo,
        _obj: &mut Value,
        _old: Option<&Value>,
    ) -> Result<(), ApiError> {
        Ok(())
    }
    /// Validating admission.
    fn validate(
        &self,
        _user: &UserInfo,
        _info: &RequestInfo,
        _obj: &Value,
        _old: Option<&Value>,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The admission chain (no plugins yet).
#[derive(Default)]
pub struct AdmissionChain(pub Vec<Arc<dyn Admission>>);

impl Admission for AdmissionChain {
    fn admit(
        &self,
        user: &UserInfo,
        info: &RequestInfo,
        obj: &mut Value,
        old: Option<&Value>,
    ) -> Result<(), ApiError> {
        for a in &self.0 {
            a.admit(user, info, obj, old)?;
        }
        Ok(())
    }
    fn validate(
        &self,
        user: &UserInfo,
        info: &RequestInfo,
        obj: &Value,
        old: Option<&Value>,
    ) -> Result<(), ApiError> {
        for a in &self.0 {
            a.validate(user, info, obj, old)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_reads_only_health() {
        let a = MastersAuthorizer;
        let anon = UserInfo::anonymous();
        let get = |p: &str| crate::request_info::parse(&http::Method::GET, p, false);
        assert_eq!(a.authorize(&anon, &get("/readyz")), Decision::Allow);
        assert_ne!(a.authorize(&anon, &get("/api/v1/pods")), Decision::Allow);
        assert_ne!(a.authorize(&anon, &get("/metrics")), Decision::Allow);
        let admin = UserInfo {
            name: "admin".into(),
            groups: vec!["system:masters".into()],
        };
        assert_eq!(a.authorize(&admin, &get("/api/v1/pods")), Decision::Allow);
    }
}
