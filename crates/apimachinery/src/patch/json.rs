//! RFC 6902 JSON patch (`application/json-patch+json`), applied with the
//! `json-patch` crate. Errors follow upstream's handler: a body that is not a
//! list of operations is a 400, more than 10000 operations a 413, and an
//! operation that cannot be applied (failing `test`, missing path, unknown
//! `op`) a 422 with the generic message.
//!
//! Memory bound: a `copy` is the only operation that grows the document beyond the
//! request's own bytes (a value copied into itself doubles it), so the bytes copied are
//! counted and the patch fails (422, as upstream's `AccumulatedCopySizeLimit`) once they
//! pass [`MAX_COPY_BYTES`]; the document never grows by more than that plus the request.

use serde_json::Value;

use super::{MAX_JSON_PATCH_OPERATIONS, PatchError, go_kind};

/// Apply a JSON patch document to `original`, returning the patched value.
/// The operations apply atomically: on error nothing is returned.
pub fn json_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    let ops = match patch {
        // `null` decodes to an empty patch upstream.
        Value::Null => return Ok(original.clone()),
        Value::Array(ops) => ops,
        other => {
            return Err(PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                go_kind(other)
            )));
        }
    };
    if let Some(bad) = ops.iter().find(|op| !op.is_object()) {
        return Err(PatchError::BadRequest(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
            go_kind(bad)
        )));
    }
    if ops.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooLarge(format!(
            "The allowed maximum operations in a JSON patch is {}, got {}",
            MAX_JSON_PATCH_OPERATIONS,
            ops.len()
        )));
    }
    // Upstream decodes operations lazily, so an unknown `op` or a missing
    // `path` only fails when applied: 422, not 400.
    let parsed: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| PatchError::Invalid(format!("invalid operation: {e}")))?;
    let mut doc = original.clone();
    let mut copied = 0usize;
    for op in parsed.0 {
        if let json_patch::PatchOperation::Copy(c) = &op
            && let Some(v) = doc.pointer(c.from.as_str())
        {
            copied += json_size(v);
            if copied > MAX_COPY_BYTES {
                return Err(PatchError::Invalid(format!(
                    "Unable to complete the copy, the accumulated size increase of copy is {copied}, exceeding the limit {MAX_COPY_BYTES}"
                )));
            }
        }
        json_patch::patch(&mut doc, std::slice::from_ref(&op))
            .map_err(|e| PatchError::Invalid(e.to_string()))?;
    }
    Ok(doc)
}

/// Upstream's limit on the bytes the `copy` operations of one JSON patch may add
/// (`JSONPatchMaxCopyBytes`, 3 MiB).
pub const MAX_COPY_BYTES: usize = 3 * 1024 * 1024;

/// The length of a value's compact JSON, counted without writing it out.
fn json_size(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({"metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}})
    }

    #[test]
    fn ops_apply_in_order() {
        let p = json!([
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/metadata/labels/tier", "value": "fe"},
            {"op": "remove", "path": "/metadata/labels/app"},
            {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "side", "image": "busybox"}},
            {"op": "copy", "from": "/metadata/name", "path": "/metadata/annotations"},
            {"op": "move", "from": "/metadata/annotations", "path": "/metadata/generateName"}
        ]);
        let out = json_patch(&deploy(), &p).unwrap();
        assert_eq!(out["spec"]["replicas"], 3);
        assert_eq!(out["metadata"]["labels"], json!({"tier": "fe"}));
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][1]["name"],
            "side"
        );
        assert_eq!(out["metadata"]["generateName"], "web");
        assert!(out["metadata"].get("annotations").is_none());
    }

    #[test]
    fn failing_test_is_422_and_atomic() {
        let p = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "test", "path": "/spec/replicas", "value": 1}
        ]);
        let e = json_patch(&deploy(), &p).unwrap_err();
        assert!(matches!(e, PatchError::Invalid(_)), "{e:?}");
        assert_eq!(e.to_api_error().code, 422);
    }

    #[test]
    fn missing_paths_are_422() {
        for p in [
            json!([{"op": "remove", "path": "/spec/affinity"}]),
            json!([{"op": "replace", "path": "/spec/nope", "value": 1}]),
            json!([{"op": "add", "path": "/a/b/c", "value": 1}]),
            json!([{"op": "frobnicate", "path": "/spec"}]),
        ] {
            let e = json_patch(&deploy(), &p).unwrap_err();
            assert!(matches!(e, PatchError::Invalid(_)), "{p}: {e:?}");
        }
    }

    #[test]
    fn malformed_documents_are_400() {
        for p in [json!({"op": "add"}), json!("x"), json!([1])] {
            let e = json_patch(&deploy(), &p).unwrap_err();
            assert!(matches!(e, PatchError::BadRequest(_)), "{p}: {e:?}");
            assert_eq!(e.to_api_error().code, 400);
        }
        assert_eq!(json_patch(&deploy(), &Value::Null).unwrap(), deploy());
    }

    #[test]
    fn copies_are_bounded() {
        // a value copied into itself doubles each time: stopped at 3 MiB, not after gigabytes
        let mut ops = vec![json!({"op": "add", "path": "/a", "value": ["x".repeat(1000)]})];
        for _ in 0..40 {
            ops.push(json!({"op": "copy", "from": "/a", "path": "/a/-"}));
        }
        let e = json_patch(&json!({}), &json!(ops)).unwrap_err();
        assert!(
            matches!(&e, PatchError::Invalid(m) if m.contains("exceeding the limit 3145728")),
            "{e:?}"
        );
        assert_eq!(e.to_api_error().code, 422);
        // many small copies are fine
        let ops: Vec<Value> = (0..100)
            .map(|i| json!({"op": "copy", "from": "/k", "path": format!("/c{i}")}))
            .collect();
        assert!(json_patch(&json!({"k": "v"}), &json!(ops)).is_ok());
    }

    #[test]
    fn too_many_operations_is_413() {
        let ops: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
            .map(|_| json!({"op": "test", "path": "/spec/replicas", "value": 1}))
            .collect();
        let e = json_patch(&deploy(), &Value::Array(ops)).unwrap_err();
        assert_eq!(e.to_api_error().code, 413);
    }

    proptest! {
        #[test]
        fn empty_patch_is_identity(k in "[a-z]{1,8}", v in any::<i64>()) {
            let doc = json!({k.clone(): v, "nested": {k: [v]}});
            prop_assert_eq!(json_patch(&doc, &json!([])).unwrap(), doc);
        }
    }
}
