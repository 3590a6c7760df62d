//! CREATE and UPDATE (PUT), including the `status` subresource: decoding,
//! field validation, defaulting, strategy hooks, validation, managedFields,
//! dry run and persistence.

use apimachinery::ApiError;
use apimachinery::codec::typed::{self, Dialect};
use apimachinery::field::{ErrorKind, FieldError, FieldPath};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;

use super::Rest;
use super::store::Change;
use crate::auth::Admission;
use crate::fieldvalidation::{self, FieldValidation};
use crate::meta;
use crate::negotiation::{self, BodyType};
use crate::response::{self, Body};

/// An object decoded from a request body, with the warnings to send back.
pub struct Decoded {
    /// The object.
    pub obj: Value,
    /// `Warning` header texts.
    pub warnings: Vec<String>,
}

/// A request body decoded into a JSON value, with what a strict decoder says of it
/// (`duplicate field "a"`, `line 3: key "a" already set in map`).
pub struct RawBody {
    /// The value.
    pub value: Value,
    /// Strict decoding errors, reported by `fieldValidation`.
    pub strict: Vec<String>,
}

/// Where an object being admitted came from, which decides how a value that does not
/// decode into the kind's type is reported (as upstream's handlers report it).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// A create or update body: 400 `<Kind> in version "<v>" cannot be handled as a
    /// <Kind>: <error>`.
    Body,
    /// The result of a JSON or merge patch: 422 with the cause `patch`, whose value is the
    /// patched object's JSON.
    Patched,
    /// The result of a strategic merge patch: 422 with the cause `patch`, whose value is
    /// the patch as Go prints it.
    StrategicPatch(&'a Value),
    /// The result of server-side apply, whose applied configuration was checked first.
    Applied,
}

/// Decode a request body (JSON, YAML or protobuf) into a JSON value. Syntax errors and
/// bodies that are not objects answer upstream's "unrecognized object" 400.
pub fn decode_raw(rest: &Rest<'_>, body: &[u8]) -> Result<RawBody, ApiError> {
    let ct = rest.header("content-type");
    let bt = negotiation::body_type(ct)?;
    let fv =
        FieldValidation::parse(rest.query.get("fieldValidation")).map_err(ApiError::bad_request)?;
    let unrecognized = |e: &dyn std::fmt::Display| unrecognized(rest, &e.to_string(), body);
    let (value, strict) = match bt {
        BodyType::Json => {
            let (v, dups) =
                apimachinery::codec::json::from_json_strict(body).map_err(|e| unrecognized(&e))?;
            (
                v,
                dups.iter()
                    .map(|d| format!("duplicate field \"{d}\""))
                    .collect(),
            )
        }
        BodyType::Yaml => {
            let v = apimachinery::codec::yaml::from_yaml(body).map_err(|e| unrecognized(&e))?;
            // upstream's strict YAML pass runs unless the client asked to ignore it
            let dups = if fv == FieldValidation::Ignore {
                vec![]
            } else {
                apimachinery::codec::yaml::duplicate_keys(body).unwrap_or_default()
            };
            let strict = match dups.is_empty() {
                true => vec![],
                false => vec![format!("yaml: unmarshal errors:\n  {}", dups.join("\n  "))],
            };
            (v, strict)
        }
        BodyType::Protobuf => (
            apimachinery::codec::protobuf::decode(body, apimachinery::Schema::builtin()).map_err(
                |e| {
                    ApiError::bad_request(format!(
                        "{kind} in version {:?} cannot be handled as a {kind}: {e}",
                        rest.res.version,
                        kind = rest.res.kind
                    ))
                },
            )?,
            vec![],
        ),
        _ => return Err(ApiError::unsupported_media_type(negotiation::BODY_TYPES)),
    };
    if !value.is_object() {
        let e = format!(
            "json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
            apimachinery::gofmt::json_kind(&value)
        );
        return Err(unrecognized(&e));
    }
    for f in ["apiVersion", "kind"] {
        if let Some(v) = value.get(f).filter(|v| !v.is_string() && !v.is_null()) {
            let e = format!(
                "json: cannot unmarshal {} into Go struct field .{f} of type string",
                apimachinery::gofmt::json_kind(v)
            );
            return Err(unrecognized(&e));
        }
    }
    Ok(RawBody { value, strict })
}

/// Upstream's answer to a body whose kind cannot even be read: 400 `the object provided is
/// unrecognized (must be of type <Kind>): couldn't get version/kind; json parse error:
/// <error> (<the body's first 30 bytes>)`.
fn unrecognized(rest: &Rest<'_>, err: &str, body: &[u8]) -> ApiError {
    let summary = match body {
        [] => "<empty>".to_string(),
        [b'{', ..] if body.len() > 30 => format!("{} ...", String::from_utf8_lossy(&body[..30])),
        [b'{', ..] => String::from_utf8_lossy(body).into_owned(),
        _ => {
            let hex: String = body.iter().take(30).map(|b| format!("{b:02x}")).collect();
            if body.len() > 30 {
                format!("{hex} ...")
            } else {
                hex
            }
        }
    };
    ApiError::bad_request(format!(
        "the object provided is unrecognized (must be of type {}): couldn't get version/kind; json parse error: {err} ({summary})",
        rest.res.kind
    ))
}

/// Check apiVersion/kind against the resource, decode the object into its kind's type
/// (type errors, unknown fields, `fieldValidation`), and set the namespace from the URL.
pub fn admit_shape(
    rest: &Rest<'_>,
    mut obj: Value,
    strict: Vec<String>,
    source: Source<'_>,
) -> Result<Decoded, ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be an object",
        ));
    }
    let want_av = rest.res.api_version();
    let av = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !av.is_empty() && av != want_av {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({want_av})"
        )));
    }
    if !kind.is_empty() && kind != rest.res.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            rest.res.kind
        )));
    }
    obj["apiVersion"] = Value::String(want_av);
    obj["kind"] = Value::String(rest.res.kind.to_string());
    let fv =
        FieldValidation::parse(rest.query.get("fieldValidation")).map_err(ApiError::bad_request)?;
    let gvk = apimachinery::Gvk::new(rest.res.group, rest.res.version, rest.res.kind);
    let (strict, before) = decode_typed(&mut obj, &gvk, strict, source)?;
    let mut warnings = Vec::new();
    match fv {
        FieldValidation::Strict if !strict.is_empty() => {
            let shown = before.as_ref().unwrap_or(&obj);
            let e = fieldvalidation::strict_error(&strict);
            return Err(decode_error(&gvk, &e, shown, source));
        }
        FieldValidation::Warn => warnings.extend(fieldvalidation::warnings(&strict)),
        _ => {}
    }
    let url_ns = rest.info.namespace.as_str();
    if rest.res.namespaced {
        let ns = meta::namespace(&obj).to_string();
        if !ns.is_empty() && ns != url_ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        meta::set_meta(
            &mut obj,
            "namespace",
            Some(Value::String(url_ns.to_string())),
        );
    } else {
        meta::set_meta(&mut obj, "namespace", None);
    }
    Ok(Decoded { obj, warnings })
}

/// Decode `obj` into the type of `gvk` as upstream's decoder for `source` does (type
/// errors answer in upstream's shape for the source); return the strict decoding errors
/// (`strict` and the unknown fields dropped), and for a JSON or merge patch result the
/// object as it was, which its errors show.
pub fn decode_typed(
    obj: &mut Value,
    gvk: &apimachinery::Gvk,
    mut strict: Vec<String>,
    source: Source<'_>,
) -> Result<(Vec<String>, Option<Value>), ApiError> {
    let before = matches!(source, Source::Patched).then(|| obj.clone());
    let schema = apimachinery::Schema::builtin();
    if let Some(def) = schema.for_gvk(gvk) {
        let dialect = match source {
            Source::StrategicPatch(_) => Dialect::Converter,
            _ => Dialect::Json,
        };
        match typed::decode(schema, def, obj, dialect) {
            Ok(unknown) => strict.extend(unknown.iter().map(|u| format!("unknown field \"{u}\""))),
            Err(e) => {
                let shown = before.as_ref().unwrap_or(obj);
                return Err(decode_error(gvk, &e.to_string(), shown, source));
            }
        }
    }
    Ok((strict, before))
}

/// A request body of a subresource's own kind (`Scale`, `Binding`, `Eviction`), decoded
/// into that kind's type; unknown fields are dropped (and fail under `Strict`).
pub fn decode_body_as(
    rest: &Rest<'_>,
    body: &[u8],
    gvk: &apimachinery::Gvk,
) -> Result<Value, ApiError> {
    let RawBody { mut value, strict } = decode_raw(rest, body)?;
    let (strict, _) = decode_typed(&mut value, gvk, strict, Source::Body)?;
    let fv =
        FieldValidation::parse(rest.query.get("fieldValidation")).map_err(ApiError::bad_request)?;
    if fv == FieldValidation::Strict && !strict.is_empty() {
        let e = fieldvalidation::strict_error(&strict);
        return Err(decode_error(gvk, &e, &value, Source::Body));
    }
    Ok(value)
}

/// A decoding error of an object from `source`, in upstream's shape for that source.
fn decode_error(gvk: &apimachinery::Gvk, err: &str, obj: &Value, source: Source<'_>) -> ApiError {
    let patch_invalid = |value: String| {
        ApiError::invalid(
            "",
            "",
            "",
            &[FieldError {
                kind: ErrorKind::Invalid,
                field: "patch".into(),
                value: Some(apimachinery::gofmt::go_quote(&value)),
                detail: err.to_string(),
            }],
        )
    };
    match source {
        Source::Body | Source::Applied => ApiError::bad_request(format!(
            "{kind} in version {:?} cannot be handled as a {kind}: {err}",
            gvk.version,
            kind = gvk.kind
        )),
        Source::Patched => patch_invalid(go_json(obj)),
        Source::StrategicPatch(patch) => patch_invalid(apimachinery::gofmt::go_value(patch)),
    }
}

/// An object's JSON as Go's `json.Marshal` of a decoded map writes it: top-level keys
/// sorted (what json-patch hands back to upstream's patch handler).
fn go_json(obj: &Value) -> String {
    match obj {
        Value::Object(m) => {
            let sorted: std::collections::BTreeMap<&String, &Value> = m.iter().collect();
            serde_json::to_string(&sorted).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

/// The field manager of a write: the `fieldManager` parameter, else the user agent's product.
pub fn field_manager(rest: &Rest<'_>) -> Result<String, ApiError> {
    if let Some(m) = rest.query.get("fieldManager") {
        if m.len() > 128 {
            return Err(ApiError::bad_request(
                "fieldManager: Too long: may not be more than 128 bytes",
            ));
        }
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

const NAME_CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Fill `metadata.name` from `generateName`.
pub fn generate_name(obj: &mut Value) {
    if !meta::name(obj).is_empty() {
        return;
    }
    let Some(base) = obj
        .get("metadata")
        .and_then(|m| m.get("generateName"))
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    if base.is_empty() {
        return;
    }
    let base: String = base.chars().take(58).collect();
    let suffix: String = (0..5)
        .map(|_| NAME_CHARS[rand::random_range(0..NAME_CHARS.len())] as char)
        .collect();
    meta::set_meta(obj, "name", Some(Value::String(format!("{base}{suffix}"))));
}

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
    generate_name(&mut obj);
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
    crate::managed::record_update(None, &mut obj, manager, &rest.res.api_version());
    if dry {
        return Ok(Created::DryRun(obj));
    }
    // strategies saw the served version; the store keeps the stored one
    let obj = rest.server.convert_value_in(rest.res, obj);
    if !service {
        return rest.objects().create(obj).await.map(Created::Stored);
    }
    let created = rest.objects().create(obj.clone()).await;
    if created.is_err() {
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
    strategy.default(new);
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
    crate::managed::record_update(Some(old), new, manager, &rest.res.api_version());
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
                &apimachinery::errors::success_status(None),
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
    for w in warnings {
        response::add_warning(&mut r, w);
    }
    r
}
