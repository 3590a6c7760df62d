use serde_json::{Value, json};

use super::*;
use crate::schema::{Gvk, Schema};

fn check(gvk: (&str, &str, &str), mut obj: Value) -> (Result<Vec<String>, String>, Value) {
    let s = Schema::builtin();
    let def = s.for_gvk(&Gvk::new(gvk.0, gvk.1, gvk.2)).unwrap();
    let r = decode(s, def, &mut obj, Dialect::Json).map_err(|e| e.to_string());
    (r, obj)
}

fn cm_err(data: Value) -> String {
    let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    for (k, v) in data.as_object().unwrap() {
        obj[k] = v.clone();
    }
    check(("", "v1", "ConfigMap"), obj).0.unwrap_err()
}

fn meta_err(meta: Value) -> String {
    cm_err(json!({ "metadata": meta }))
}

#[test]
fn wrong_types_get_go_messages() {
    let cases = [
        (
            json!({"data": {"k": 1}}),
            "json: cannot unmarshal number into Go struct field ConfigMap.data of type string",
        ),
        (
            json!({"data": []}),
            "json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string",
        ),
        (
            json!({"binaryData": {"k": true}}),
            "json: cannot unmarshal bool into Go struct field ConfigMap.binaryData of type []uint8",
        ),
        (
            json!({"immutable": "yes"}),
            "json: cannot unmarshal string into Go struct field ConfigMap.immutable of type bool",
        ),
        (
            json!({"metadata": "x"}),
            "json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta",
        ),
    ];
    for (obj, want) in cases {
        assert_eq!(cm_err(obj.clone()), want, "{obj}");
    }
    let meta = [
        (
            json!({"labels": []}),
            "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string",
        ),
        (
            json!({"annotations": "s"}),
            "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.annotations of type map[string]string",
        ),
        (
            json!({"finalizers": "x"}),
            "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.finalizers of type []string",
        ),
        (
            json!({"finalizers": [1]}),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.finalizers of type string",
        ),
        (
            json!({"generation": "abc"}),
            "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.generation of type int64",
        ),
        (
            json!({"generation": 1e30}),
            "json: cannot unmarshal number 1e30 into Go struct field ObjectMeta.metadata.generation of type int64",
        ),
        (
            json!({"generation": 1.5}),
            "json: cannot unmarshal number 1.5 into Go struct field ObjectMeta.metadata.generation of type int64",
        ),
        (
            json!({"generation": 18446744073709551615u64}),
            "json: cannot unmarshal number 18446744073709551615 into Go struct field ObjectMeta.metadata.generation of type int64",
        ),
        (
            json!({"uid": {}}),
            "json: cannot unmarshal object into Go struct field ObjectMeta.metadata.uid of type types.UID",
        ),
        (
            json!({"creationTimestamp": 12}),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string",
        ),
        (
            json!({"deletionGracePeriodSeconds": "x"}),
            "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.deletionGracePeriodSeconds of type int64",
        ),
        (
            json!({"ownerReferences": {}}),
            "json: cannot unmarshal object into Go struct field ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference",
        ),
        (
            json!({"ownerReferences": [{"uid": 5}]}),
            "json: cannot unmarshal number into Go struct field OwnerReference.metadata.ownerReferences.uid of type types.UID",
        ),
        (
            json!({"ownerReferences": ["x"]}),
            "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.ownerReferences of type v1.OwnerReference",
        ),
        (
            json!({"name": 5}),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string",
        ),
        (
            json!({"managedFields": [{"operation": 1}]}),
            "json: cannot unmarshal number into Go struct field ManagedFieldsEntry.metadata.managedFields.operation of type v1.ManagedFieldsOperationType",
        ),
    ];
    for (m, want) in meta {
        assert_eq!(meta_err(m.clone()), want, "{m}");
    }
}

#[test]
fn first_type_error_wins_but_a_type_decoder_error_stops() {
    // two plain type errors: the first in document order
    assert!(meta_err(json!({"generation": "a", "labels": []})).contains("generation"));
    assert!(meta_err(json!({"labels": [], "generation": "a"})).contains("labels"));
    // a time that does not parse stops the decoder and wins over an earlier type error
    let e = meta_err(json!({"labels": [], "creationTimestamp": "abc"}));
    assert_eq!(
        e,
        r#"parsing time "abc" as "2006-01-02T15:04:05Z07:00": cannot parse "abc" as "2006""#
    );
}

#[test]
fn pod_and_deployment_numbers() {
    let pod = |port: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": port}]}]}})
    };
    let (r, _) = check(("", "v1", "Pod"), pod(json!("80")));
    assert_eq!(
        r.unwrap_err(),
        "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
    );
    let (r, _) = check(("", "v1", "Pod"), pod(json!(99999999999i64)));
    assert_eq!(
        r.unwrap_err(),
        "json: cannot unmarshal number 99999999999 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
    );
    let (r, _) = check(("", "v1", "Pod"), pod(json!(80)));
    assert_eq!(r.unwrap(), Vec::<String>::new());

    let dep = |replicas: Value| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"a": "b"}},
                "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    };
    let (r, _) = check(("apps", "v1", "Deployment"), dep(json!("3")));
    assert_eq!(
        r.unwrap_err(),
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
    let (r, _) = check(("apps", "v1", "Deployment"), dep(json!(1.5)));
    assert_eq!(
        r.unwrap_err(),
        "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
}

#[test]
fn secrets_need_base64() {
    let secret = |data: Value| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": data});
    let (r, _) = check(("", "v1", "Secret"), secret(json!({"k": "%%%"})));
    assert_eq!(r.unwrap_err(), "illegal base64 data at input byte 0");
    let (r, _) = check(("", "v1", "Secret"), secret(json!({"k": "YWJj"})));
    assert!(r.is_ok());
    // line breaks are skipped and dropped; a list of bytes is accepted and written as base64
    let (r, obj) = check(
        ("", "v1", "Secret"),
        secret(json!({"k": "YW\nJj", "l": [97, 98, 99]})),
    );
    assert!(r.is_ok());
    assert_eq!(obj["data"], json!({"k": "YWJj", "l": "YWJj"}));
    // nonzero trailing bits are dropped as Go's encoder would
    let (r, obj) = check(("", "v1", "Secret"), secret(json!({"k": "YR=="})));
    assert!(r.is_ok());
    assert_eq!(obj["data"]["k"], "YQ==");
    let (r, _) = check(("", "v1", "Secret"), secret(json!({"k": [300]})));
    assert_eq!(
        r.unwrap_err(),
        "json: cannot unmarshal number 300 into Go struct field Secret.data of type uint8"
    );
}

#[test]
fn go_base64_offsets() {
    assert_eq!(go_base64_decode("YWJj").unwrap(), b"abc");
    assert_eq!(go_base64_decode("YQ==").unwrap(), b"a");
    assert_eq!(go_base64_decode("YWI=").unwrap(), b"ab");
    assert_eq!(go_base64_decode("").unwrap(), b"");
    assert_eq!(go_base64_decode("YQ"), Err(0));
    assert_eq!(go_base64_decode("YWJjY"), Err(4));
    assert_eq!(go_base64_decode("YQ="), Err(3));
    assert_eq!(go_base64_decode("Y==="), Err(1));
    assert_eq!(go_base64_decode("YQ==YQ=="), Err(4));
    assert_eq!(go_base64_decode("YW!j"), Err(2));
    assert_eq!(go_base64_decode("YWJj\r\nYWJj").unwrap(), b"abcabc");
}

#[test]
fn nulls_become_what_go_keeps() {
    let obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": null}, "annotations": null},
        "spec": {"containers": [{"name": "c", "image": "i", "args": ["x", null],
            "resources": {"limits": {"cpu": null}}}, null], "nodeName": null}});
    let (r, obj) = check(("", "v1", "Pod"), obj);
    assert!(r.is_ok());
    assert_eq!(obj["metadata"], json!({"name": "p", "labels": {"a": ""}}));
    assert_eq!(obj["spec"]["containers"][0]["args"], json!(["x", ""]));
    assert_eq!(
        obj["spec"]["containers"][0]["resources"]["limits"]["cpu"],
        "0"
    );
    assert_eq!(obj["spec"]["containers"][1], json!({"name": ""}));
    assert!(obj["spec"].get("nodeName").is_none());
}

#[test]
fn unknown_fields_are_dropped_and_reported() {
    let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "labels": {"a": "b"}},
        "spec": {"replicaz": 3, "template": {"spec": {"containers": [{"name": "c", "image": "i", "imagez": 1}]}}}});
    let (r, obj) = check(("apps", "v1", "Deployment"), obj);
    assert_eq!(
        r.unwrap(),
        vec![
            "spec.replicaz".to_string(),
            "spec.template.spec.containers[0].imagez".to_string()
        ]
    );
    assert!(obj["spec"].get("replicaz").is_none());
    assert_eq!(obj["metadata"]["labels"]["a"], "b");
}

#[test]
fn times_parse_as_go_and_are_written_in_utc() {
    let t = parse_time("2024-02-29T23:30:00.5+01:00", false).unwrap();
    assert_eq!(t.format(false), "2024-02-29T22:30:00Z");
    assert_eq!(parse_time("1970-01-01T00:00:00Z", false).unwrap().secs, 0);
    let err = |s: &str, micro: bool| parse_time(s, micro).unwrap_err();
    assert_eq!(
        err("2024-13-01T00:00:00Z", false),
        r#"parsing time "2024-13-01T00:00:00Z": month out of range"#
    );
    assert_eq!(
        err("2023-02-29T00:00:00Z", false),
        r#"parsing time "2023-02-29T00:00:00Z": day out of range"#
    );
    assert_eq!(
        err("2024-01-01 00:00:00Z", false),
        r#"parsing time "2024-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 00:00:00Z" as "T""#
    );
    assert_eq!(
        err("2024-01-01T00:00:00", false),
        r#"parsing time "2024-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00""#
    );
    assert_eq!(
        err("2024-01-01T00:00:00Zjunk", false),
        r#"parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk""#
    );
    // MicroTime wants exactly six fractional digits
    assert_eq!(
        err("2024-01-01T00:00:00Z", true),
        r#"parsing time "2024-01-01T00:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000""#
    );
    let t = parse_time("2024-01-01T00:00:00.123456Z", true).unwrap();
    assert_eq!(t.format(true), "2024-01-01T00:00:00.123456Z");

    // a stored time is written back as Go writes it
    let (r, obj) = check(
        ("", "v1", "ConfigMap"),
        json!({"metadata": {"name": "c", "creationTimestamp": "2024-01-01T01:00:00.9+01:00"}}),
    );
    assert!(r.is_ok());
    assert_eq!(obj["metadata"]["creationTimestamp"], "2024-01-01T00:00:00Z");
}

#[test]
fn quantities_and_int_or_strings() {
    let pod = |limits: Value, port: Value| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "targetPort": port}]}, "x": limits})
    };
    let (r, _) = check(("", "v1", "Service"), pod(json!(null), json!("http")));
    assert!(r.is_ok());
    let (r, _) = check(("", "v1", "Service"), pod(json!(null), json!(1.5)));
    assert_eq!(
        r.unwrap_err(),
        "json: cannot unmarshal number 1.5 into Go struct field ServicePort.spec.ports.targetPort of type int32"
    );
    let (r, _) = check(("", "v1", "Service"), pod(json!(null), json!({})));
    assert_eq!(
        r.unwrap_err(),
        "json: cannot unmarshal object into Go struct field ServicePort.spec.ports.targetPort of type int32"
    );
    let c = |cpu: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": cpu}}}]}})
    };
    assert!(check(("", "v1", "Pod"), c(json!("100m"))).0.is_ok());
    // written back in canonical form, as a string
    let (r, obj) = check(("", "v1", "Pod"), c(json!(0.5)));
    assert!(r.is_ok());
    assert_eq!(
        obj["spec"]["containers"][0]["resources"]["limits"]["cpu"],
        "500m"
    );
    let (_, obj) = check(("", "v1", "Pod"), c(json!("1000m")));
    assert_eq!(
        obj["spec"]["containers"][0]["resources"]["limits"]["cpu"],
        "1"
    );
    assert_eq!(
        check(("", "v1", "Pod"), c(json!(true))).0.unwrap_err(),
        crate::quantity::ERR_FORMAT
    );
    // a list is raw JSON to the quantity's own decoder, which cannot parse it
    assert_eq!(
        check(("", "v1", "Pod"), c(json!([]))).0.unwrap_err(),
        crate::quantity::ERR_FORMAT
    );
    assert_eq!(
        check(
            ("", "v1", "Pod"),
            json!({"spec": {"containers": [{"name": "c", "resources": {"limits": []}}]}})
        )
        .0
        .unwrap_err(),
        "json: cannot unmarshal array into Go struct field ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList"
    );
}

fn check_in(gvk: (&str, &str, &str), mut obj: Value, dialect: Dialect) -> String {
    let s = Schema::builtin();
    let def = s.for_gvk(&Gvk::new(gvk.0, gvk.1, gvk.2)).unwrap();
    decode(s, def, &mut obj, dialect).unwrap_err().to_string()
}

#[test]
fn converter_words_for_strategic_merge_results() {
    let cm = |v: Value| check_in(("", "v1", "ConfigMap"), v, Dialect::Converter);
    assert_eq!(
        cm(json!({"data": {"k": 1}})),
        "cannot convert int64 to string"
    );
    assert_eq!(cm(json!({"data": {"k": 1.5}})), "unrecognized type: string");
    assert_eq!(
        cm(json!({"data": {"k": true}})),
        "unrecognized type: string"
    );
    assert_eq!(
        cm(json!({"metadata": {"labels": ["a"]}})),
        "cannot restore map from slice"
    );
    assert_eq!(
        cm(json!({"metadata": "x"})),
        "cannot restore struct from: string"
    );
    assert_eq!(
        cm(json!({"metadata": {"finalizers": {}}})),
        "cannot restore slice from map"
    );
    assert_eq!(
        cm(json!({"metadata": {"generation": "1"}})),
        "unrecognized type: int64"
    );
    assert_eq!(
        cm(json!({"metadata": {"generation": 1.5}})),
        "cannot convert float64 to int64"
    );
    assert_eq!(
        cm(json!({"metadata": {"creationTimestamp": 5}})),
        "json: cannot unmarshal number into Go value of type string"
    );
}

#[test]
fn smd_words_for_applied_configurations() {
    let cm = |v: Value| check_in(("", "v1", "ConfigMap"), v, Dialect::Smd);
    assert_eq!(
        cm(json!({"data": {"k": 1}})),
        ".data.k: expected string, got 1"
    );
    assert_eq!(
        cm(json!({"metadata": {"labels": ["a"]}})),
        ".metadata.labels: expected map, got [a]"
    );
    assert_eq!(
        cm(json!({"metadata": {"finalizers": ["a", 2]}})),
        ".metadata.finalizers[1]: expected string, got 2"
    );
}

#[test]
fn inline_structs_show_in_go_paths() {
    let pod = json!({"spec": {"volumes": [{"name": "v", "configMap": {"defaultMode": "x"}}]}});
    assert_eq!(
        check_in(("", "v1", "Pod"), pod, Dialect::Json),
        "json: cannot unmarshal string into Go struct field ConfigMapVolumeSource.spec.volumes.VolumeSource.configMap.defaultMode of type int32"
    );
    let pod = json!({"spec": {"containers": [{"name": "c", "livenessProbe": {"httpGet": {"port": 1.5}}}]}});
    assert_eq!(
        check_in(("", "v1", "Pod"), pod, Dialect::Json),
        "json: cannot unmarshal number 1.5 into Go struct field HTTPGetAction.spec.containers.livenessProbe.ProbeHandler.httpGet.port of type int32"
    );
}

#[test]
fn required_pointers_are_required_fields_of_the_schema() {
    let schema = Schema::builtin();
    for (def, field) in REQUIRED_POINTERS {
        let d = schema.definition(def).unwrap_or_else(|| panic!("{def}"));
        assert!(d.required.iter().any(|r| r == field), "{def}.{field}");
    }
}

#[test]
fn required_fields_get_go_zero_values_but_pointers_stay_unset() {
    // a RoleBinding without roleRef, a container port without containerPort: the
    // zero values Go writes; a null RawExtension is no value at all
    let (r, v) = check(
        ("apps", "v1", "ControllerRevision"),
        json!({"metadata": {"name": "r"}, "data": null}),
    );
    assert_eq!(r, Ok(vec![]));
    assert!(v.get("data").is_none());
    let (_, v) = check(
        ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
        json!({"metadata": {"name": "b"}, "roleRef": null}),
    );
    assert_eq!(v["roleRef"], json!({"kind": "", "name": ""}));
    let (_, v) = check(
        ("", "v1", "Pod"),
        json!({"spec": {"containers": [{"ports": [{"protocol": "TCP"}]}]}}),
    );
    assert_eq!(
        v["spec"]["containers"][0],
        json!({"ports": [{"protocol": "TCP", "containerPort": 0}], "name": ""})
    );
    // a null list element is a zero struct, with its required fields
    let (_, v) = check(
        ("storage.k8s.io", "v1", "CSIDriver"),
        json!({"metadata": {"name": "d"}, "spec": {"tokenRequests": [null]}}),
    );
    assert_eq!(v["spec"]["tokenRequests"], json!([{"audience": ""}]));
    // a Deployment's selector is a pointer: left unset
    let (_, v) = check(
        ("apps", "v1", "Deployment"),
        json!({"spec": {"selector": null}}),
    );
    assert!(v["spec"].get("selector").is_none(), "{v}");
    assert!(v["spec"]["template"].is_object(), "{v}");
}
