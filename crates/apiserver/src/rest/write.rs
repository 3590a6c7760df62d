//! CREATE and UPDATE (PUT), including the `status` subresource: defaulting, strategy
//! hooks, validation, managedFields, dry run and persistence (decoding the body is
//! `decode.rs`).

use apimachinery::ApiError;
use apimachinery::field::{FieldError, FieldPath};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;

use super::Rest;
use super::decode::{Decoded, Source, admit_shape, decode_raw};
use super::store::Change;
use crate::auth::Admission;
use crate::meta;
use crate::negotiation;
use crate::response::{self, Body};

/// The field manager of a write: the `fieldManager` parameter, else the user agent's product.
pub fn field_manager(rest: &Rest<'_>) -> Result<String, ApiError> {
    if let Some(m) = rest.query.get("fieldManager") {
        validate_field_manager(rest, m)?;
        return Ok(m.to_string());
    }
    let ua = rest.header("user-agent").unwrap_or("unknown");
    Ok(ua
        .split('/')
        .next()
        .unwrap_or(ua)
        .chars()
        .take(128)
        .collect())
}

/// upstream's `ValidateFieldManager`: at most 128 bytes, printable characters only; 422
/// naming the verb's options kind (`CreateOptions.meta.k8s.io "" is invalid: ...`).
pub fn validate_field_manager(rest: &Rest<'_>, m: &str) -> Result<(), ApiError> {
    let p = apimachinery::field::FieldPath::root("fieldManager");
    let mut errs = Vec::new();
    if m.len() > 128 {
        errs.push(apimachinery::field::FieldError::too_long(&p, 128));
    }
    // Go's unicode.IsPrint: graphic characters and the ASCII space
    for (i, c) in m.char_indices() {
        if c != ' ' && (c.is_control() || c.is_whitespace() || is_format_char(c)) {
            errs.push(apimachinery::field::FieldError::invalid(
                &p,
                m,
                format!("invalid character U+{:04X} (at position {i})", c as u32),
            ));
        }
    }
    if errs.is_empty() {
        return Ok(());
    }
    let kind = match rest.info.verb.as_str() {
        "create" => "CreateOptions",
        "patch" => "PatchOptions",
        _ => "UpdateOptions",
    };
    Err(ApiError::invalid(kind, "meta.k8s.io", "", &errs))
}

/// Unicode format characters (category Cf) that commonly appear: zero-width and
/// direction marks, the byte order mark.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

const NAME_CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Fill `metadata.name` from `generateName`.
pub fn generate_name(rest: &Rest<'_>, obj: &mut Value) -> bool {
    if !meta::name(obj).is_empty() {
        return false;
    }
    let Some(base) = obj
        .get("metadata")
        .and_then(|m| m.get("generateName"))
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return false;
    };
    if base.is_empty() {
        return false;
    }
    let base: String = base.chars().take(58).collect();
    let suffix = (rest.server.name_suffix.read())();
    meta::set_meta(obj, "name", Some(Value::String(format!("{base}{suffix}"))));
    true
}

/// Five random characters from upstream's alphabet (no vowels, no confusable digits).
pub fn random_name_suffix() -> String {
    (0..5)
        .map(|_| NAME_CHARS[rand::random_range(0..NAME_CHARS.len())] as char)
        .collect()
}

/// How many times a create with a generated name is tried before a collision is
/// reported (upstream's `maxNameGenerationCreateAttempts`, since v1.32).
const NAME_GENERATION_ATTEMPTS: usize = 8;
/// Refuse writes into a missing or terminating namespace.
pub async fn check_namespace(rest: &Rest<'_>, create: bool, name: &str) -> Result<(), ApiError> {
    if !rest.res.namespaced {
        return Ok(());
    }
    let ns = rest.info.namespace.as_str();
    let nsres = api::resources::lookup("", "v1", "namespaces").expect("namespaces");
    // as upstream's NamespaceLifecycle admission: the cache first, the store
    // when the cache does not know the namespace (it may have just been created)
    let cached = rest
        .server
        .cache_for(nsres)
        .and_then(|c| c.get(&format!("{}{ns}", nsres.key_prefix())));
    let terminating = match cached {
        // namespaces are indexed by status.phase (their one selectable field)
        Some(o) => Some(o.fields.first().is_some_and(|p| p == "Terminating")),
        None => super::ObjectStore::new(rest.server, nsres)
            .get("", ns)
            .await?
            .map(|n| meta::is_terminating(&n)),
    };
    match terminating {
        None => Err(ApiError::not_found(&nsres.group_resource(), ns)),
        Some(true) if create => Err(ApiError::forbidden(
            &rest.res.group_resource(),
            name,
            format!(
                "unable to create new content in namespace {ns} because it is being terminated"
            ),
        )
        .with_causes(vec![apimachinery::errors::StatusCause {
            reason: "NamespaceTerminating".into(),
            message: format!("namespace {ns} is being terminated"),
            field: "metadata.namespace".into(),
        }])),
        Some(_) => Ok(()),
    }
}

fn invalid(rest: &Rest<'_>, obj: &Value, errs: &[FieldError]) -> ApiError {
    ApiError::invalid(rest.res.kind, rest.res.group, meta::name(obj), errs)
}

/// The result of a create: the object as it would be stored (dry run) or as stored.
pub enum Created {
    DryRun(Value),
    Stored(super::store::Stored),
}

impl Created {
    /// The created object.
    pub fn into_value(self) -> Value {
        match self {
            Created::DryRun(v) => v,
            Created::Stored(s) => s.into_value(),
        }
    }

    /// The `201 Created` reply. A stored object is answered with its stored JSON when the
    /// client wants JSON of the stored version, saving a serialization.
    pub fn reply(self, rest: &Rest<'_>, warnings: &[String]) -> Response<Body> {
        if let Created::Stored(s) = &self
            && let Some(json) = s.json()
            && rest.output == negotiation::Output::Json
            && !crate::conversion::needs(rest.res)
        {
            return with_warnings(
                response::json_bytes(StatusCode::CREATED, json.clone()),
                warnings,
            );
        }
        reply(rest, StatusCode::CREATED, self.into_value(), warnings)
    }
}

/// Finish a new object (system fields, defaults, validation) and persist it.
pub async fn create_object(
    rest: &Rest<'_>,
    mut obj: Value,
    manager: &str,
) -> Result<Created, ApiError> {
    let generated = generate_name(rest, &mut obj);
    let strategy = api::registry::strategy_for(rest.res);
    {
        let md = meta::metadata_mut(&mut obj);
        for f in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            md.remove(f);
        }
        md.insert(
            "uid".into(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        md.insert(
            "creationTimestamp".into(),
            Value::String(meta::now_rfc3339()),
        );
    }
    strategy.default(&mut obj);
    // managedFields are computed before what the server adds on its own (status, the
    // admission-time fields): those belong to no manager, so a later apply that omits
    // them leaves them alone (upstream's field manager runs before admission)
    crate::managed::record_update(None, &mut obj, manager, &rest.res.api_version());
    strategy.prepare_for_create(&mut obj);
    rest.server
        .admission
        .admit(rest.user, rest.info, &mut obj, None)?;
    let errs = strategy.validate(&obj);
    if !errs.is_empty() {
        return Err(invalid(rest, &obj, &errs));
    }
    rest.server
        .admission
        .validate(rest.user, rest.info, &obj, None)?;
    check_namespace(rest, true, meta::name(&obj)).await?;
    let dry = rest.dry_run()?;
    let service = rest.res.group.is_empty() && rest.res.resource == "services";
    if service {
        let errs = super::service_alloc::allocate(rest.server, &mut obj, dry).await?;
        if !errs.is_empty() {
            return Err(invalid(rest, &obj, &errs));
        }
    }
    if dry {
        return Ok(Created::DryRun(obj));
    }
    // strategies saw the served version; the store keeps the stored one
    let mut obj = rest.server.convert_value_in(rest.res, obj);
    if !service && !generated {
        return rest.objects().create(obj).await.map(Created::Stored);
    }
    // a generated name that is taken is generated again (upstream's
    // RetryGenerateName); a Service keeps what it was allocated across the
    // attempts and gives it back if none succeeds
    let mut attempt = 1;
    let created = loop {
        match rest.objects().create(obj.clone()).await {
            Err(e) if generated && e.code == 409 && attempt < NAME_GENERATION_ATTEMPTS => {
                attempt += 1;
                meta::set_meta(&mut obj, "name", None);
                generate_name(rest, &mut obj);
            }
            other => break other,
        }
    };
    if service && created.is_err() {
        super::service_alloc::release(rest.server, &obj).await;
    }
    created.map(Created::Stored)
}

/// POST: create.
pub async fn create(rest: &Rest<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let raw = decode_raw(rest, &body)?;
    let Decoded { obj, warnings } = admit_shape(rest, raw.value, raw.strict, Source::Body)?;
    let manager = field_manager(rest)?;
    let created = create_object(rest, obj, &manager).await?;
    Ok(created.reply(rest, &warnings))
}

/// Apply the update semantics to `new` replacing `old`: carry system metadata,
/// run the strategy and validation. `status` selects the status subresource.
pub fn prepare_update(
    rest: &Rest<'_>,
    new: &mut Value,
    old: &Value,
    manager: &str,
) -> Result<(), ApiError> {
    prepare_update_as(rest, new, old, manager, rest.info.subresource == "status")
}

/// `pods/ephemeralcontainers`: the old pod with the new one's ephemeral containers (each
/// defaulted as a container is), nothing else; validated by upstream's rules for adding
/// ephemeral containers.
fn prepare_ephemeral_update(
    rest: &Rest<'_>,
    new: &mut Value,
    old: &Value,
    manager: &str,
) -> Result<(), ApiError> {
    let mut next = old.clone();
    let host_network = next
        .pointer("/spec/hostNetwork")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match new.pointer("/spec/ephemeralContainers").cloned() {
        Some(mut ecs) => {
            for c in ecs.as_array_mut().into_iter().flatten() {
                api::registry::core::podspec::default_container(c, host_network);
            }
            next["spec"]["ephemeralContainers"] = ecs;
        }
        None => {
            if let Some(spec) = next.get_mut("spec").and_then(Value::as_object_mut) {
                spec.shift_remove("ephemeralContainers");
            }
        }
    }
    if let Some(rv) = new.pointer("/metadata/resourceVersion").cloned() {
        meta::metadata_mut(&mut next).insert("resourceVersion".into(), rv);
    }
    rest.server
        .admission
        .admit(rest.user, rest.info, &mut next, Some(old))?;
    let errs = api::validation::pod::validate_ephemeral_containers_update(&next, old);
    if !errs.is_empty() {
        return Err(invalid(rest, &next, &errs));
    }
    rest.server
        .admission
        .validate(rest.user, rest.info, &next, Some(old))?;
    crate::managed::record_update(Some(old), &mut next, manager, &rest.res.api_version());
    *new = next;
    Ok(())
}

/// [`prepare_update`] with the status/main choice explicit.
pub fn prepare_update_as(
    rest: &Rest<'_>,
    new: &mut Value,
    old: &Value,
    manager: &str,
    status: bool,
) -> Result<(), ApiError> {
    let strategy = api::registry::strategy_for(rest.res);
    // fields clients may not change
    let md_old = old.get("metadata").unwrap_or(&Value::Null);
    {
        let md = meta::metadata_mut(new);
        for f in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            match md_old.get(f) {
                Some(v) => md.insert(f.to_string(), v.clone()),
                None => md.remove(f),
            };
        }
        md.remove("selfLink");
        if md.get("managedFields").is_none()
            && let Some(mf) = md_old.get("managedFields")
        {
            md.insert("managedFields".into(), mf.clone());
        }
    }
    if rest.info.subresource == "ephemeralcontainers" {
        return prepare_ephemeral_update(rest, new, old, manager);
    }
    strategy.default(new);
    crate::managed::record_update(Some(old), new, manager, &rest.res.api_version());
    if status {
        strategy.prepare_for_status_update(new, old);
    } else {
        strategy.prepare_for_update(new, old);
    }
    rest.server
        .admission
        .admit(rest.user, rest.info, new, Some(old))?;
    let mut errs = strategy.validate_update(new, old);
    if meta::is_terminating(old) {
        // finalizers may only be removed from a terminating object
        let old_f = meta::finalizers(old);
        for f in meta::finalizers(new) {
            if !old_f.contains(&f) {
                errs.push(FieldError::forbidden(
                    &FieldPath::root("metadata").child("finalizers"),
                    format!("no new finalizers can be added if the object is being deleted, found new finalizers [\"{f}\"]"),
                ));
            }
        }
    }
    if !errs.is_empty() {
        return Err(invalid(rest, new, &errs));
    }
    rest.server
        .admission
        .validate(rest.user, rest.info, new, Some(old))?;
    Ok(())
}

/// What to store after an update: a terminating object whose last finalizer
/// went away is deleted.
pub fn change_for(new: Value) -> Change {
    if meta::is_terminating(&new)
        && meta::finalizers(&new).is_empty()
        && new
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            == 0
    {
        Change::Delete
    } else {
        Change::Put(new)
    }
}

/// PUT: update (main resource or status).
pub async fn update(rest: &Rest<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let raw = decode_raw(rest, &body)?;
    let Decoded { obj, warnings } = admit_shape(rest, raw.value, raw.strict, Source::Body)?;
    let name = rest.info.name.as_str();
    check_name(&obj, name)?;
    let manager = field_manager(rest)?;
    let dry = rest.dry_run()?;
    let want_rv = meta::resource_version(&obj).to_string();
    let gr = rest.res.group_resource();
    let mut dry_result = None;
    let (new, _old) = rest
        .objects()
        .guaranteed_update(&rest.info.namespace, name, |cur| {
            if !want_rv.is_empty() && want_rv != meta::resource_version(cur) {
                return Err(ApiError::stale_resource_version(&gr, name));
            }
            // strategies see the served version; the store keeps the stored one
            let cur_served = rest.server.convert_value_out(rest.res, cur.clone());
            let mut new = obj.clone();
            prepare_update(rest, &mut new, &cur_served, &manager)?;
            if dry {
                dry_result = Some(new);
                return Ok(Change::Keep);
            }
            Ok(change_for(rest.server.convert_value_in(rest.res, new)))
        })
        .await?;
    let out = dry_result.or(new);
    let out = match out {
        Some(v) => v,
        None => {
            return Ok(response::object(
                StatusCode::OK,
                &apimachinery::errors::success_status(200, None),
                rest.output,
            ));
        }
    };
    let r = reply(rest, StatusCode::OK, out, &warnings);
    Ok(r)
}

/// PUT `namespaces/{name}/finalize`: only `spec.finalizers` changes; a
/// terminating namespace left with no finalizers of either kind is deleted.
pub async fn finalize(rest: &Rest<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let raw = decode_raw(rest, &body)?;
    let Decoded { obj, warnings } = admit_shape(rest, raw.value, raw.strict, Source::Body)?;
    let name = rest.info.name.as_str();
    check_name(&obj, name)?;
    let want_rv = meta::resource_version(&obj).to_string();
    let finalizers = obj
        .pointer("/spec/finalizers")
        .cloned()
        .unwrap_or(Value::Null);
    let gr = rest.res.group_resource();
    let dry = rest.dry_run()?;
    let mut dry_result = None;
    let (new, old) = rest
        .objects()
        .guaranteed_update("", name, |cur| {
            if !want_rv.is_empty() && want_rv != meta::resource_version(cur) {
                return Err(ApiError::stale_resource_version(&gr, name));
            }
            let mut new = cur.clone();
            match &finalizers {
                Value::Array(a) if !a.is_empty() => new["spec"]["finalizers"] = finalizers.clone(),
                _ => {
                    if let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) {
                        spec.remove("finalizers");
                    }
                }
            }
            let done = meta::is_terminating(&new)
                && meta::finalizers(&new).is_empty()
                && new
                    .pointer("/spec/finalizers")
                    .and_then(Value::as_array)
                    .is_none_or(|a| a.is_empty());
            if dry {
                dry_result = Some(new);
                return Ok(Change::Keep);
            }
            Ok(if done {
                Change::Delete
            } else {
                Change::Put(new)
            })
        })
        .await?;
    let out = dry_result.or(new).unwrap_or(old);
    Ok(reply(rest, StatusCode::OK, out, &warnings))
}

/// 400 unless the object's name is the one on the URL.
pub fn check_name(obj: &Value, name: &str) -> Result<(), ApiError> {
    if meta::name(obj) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta::name(obj)
        )));
    }
    Ok(())
}

/// The reply of a write: the object converted to the served version, with `Warning` headers.
pub fn reply(rest: &Rest<'_>, code: StatusCode, obj: Value, warnings: &[String]) -> Response<Body> {
    let out = rest.server.convert_value_out(rest.res, obj);
    with_warnings(response::object(code, &out, rest.output), warnings)
}

fn with_warnings(mut r: Response<Body>, warnings: &[String]) -> Response<Body> {
    for w in response::bounded_warnings(warnings) {
        response::add_warning(&mut r, &w);
    }
    r
}
