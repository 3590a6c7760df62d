#!/usr/bin/env python3
"""Generate crates/apimachinery/data/protobuf-descriptors.json, the field table
the runtime protobuf decoder (crates/apimachinery/src/codec/protobuf/) walks.

Source of truth for tags and wire types: the prost-generated message structs of
the `k8s-pb` crate (kube-rs project), read from the local cargo registry.
JSON field names come from the upstream schema (data/definitions-v1.37.0.json),
matched to prost's snake_case names by normalizing both (lowercase, no `_`,
`-`, `$`), e.g. `volume_id` <-> `volumeID`.

Whether a field's zero value is kept in the JSON cannot be read from the protos
(every field is proto2 `optional`): Go's gogo marshaller writes every
non-pointer field, so a zero on the wire may be an explicit pointer zero
(`replicas: 0`, keep) or an unset non-pointer `omitempty` field (drop). The
policy below: keep the zero of a required field; drop empty strings and bytes;
keep numeric/boolean zeros (they are usually pointers), except the known
non-pointer `omitempty` fields listed in OMIT_ZERO and scalars of status types.

Usage: scripts/gen-protobuf-descriptors.py [K8S_PB_SRC_DIR] > crates/apimachinery/data/protobuf-descriptors.json
Unmatched names are reported on stderr.
"""

import glob
import json
import os
import re
import sys

K8S_PB_VERSION = "0.9.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "crates/apimachinery/data/definitions-v1.37.0.json")

TOP = {
    "api": "io.k8s.api",
    "apimachinery": "io.k8s.apimachinery",
    "apiextensions_apiserver": "io.k8s.apiextensions-apiserver",
    "kube_aggregator": "io.k8s.kube-aggregator",
    "metrics": "io.k8s.metrics",
}

# Known non-pointer `omitempty` numeric/boolean fields: a zero means "unset".
# (message short name or "*", JSON name)
OMIT_ZERO = {
    ("ObjectMeta", "generation"),
    ("Container", "stdin"), ("Container", "stdinOnce"), ("Container", "tty"),
    ("EphemeralContainer", "stdin"), ("EphemeralContainer", "stdinOnce"),
    ("EphemeralContainer", "tty"),
    ("ContainerPort", "hostPort"),
    ("ServicePort", "nodePort"),
    ("ServiceSpec", "publishNotReadyAddresses"), ("ServiceSpec", "healthCheckNodePort"),
    ("Probe", "initialDelaySeconds"), ("Probe", "timeoutSeconds"),
    ("Probe", "periodSeconds"), ("Probe", "successThreshold"),
    ("Probe", "failureThreshold"),
    ("DeploymentSpec", "minReadySeconds"), ("DeploymentSpec", "paused"),
    ("ReplicaSetSpec", "minReadySeconds"), ("DaemonSetSpec", "minReadySeconds"),
    ("StatefulSetSpec", "minReadySeconds"),
    ("PodSpec", "hostNetwork"), ("PodSpec", "hostPID"), ("PodSpec", "hostIPC"),
    ("VolumeMount", "readOnly"),
    ("ServiceBackendPort", "number"),
    ("PriorityClass", "globalDefault"),
    ("Event", "count"),
}
# `readOnly` of volume sources is a plain bool, except in these.
POINTER_READ_ONLY = {"CSIVolumeSource", "CSIPersistentVolumeSource"}
# Pointer strings whose empty value means something.
KEEP_EMPTY_STRING = {
    ("PersistentVolumeClaimSpec", "storageClassName"),
}


def norm(s):
    return re.sub(r"[_\-$]", "", s).lower()


def camel(snake):
    parts = snake.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def strip_comments(text):
    return "\n".join(l for l in text.split("\n") if not l.strip().startswith("//"))


STRUCT_RE = re.compile(r"pub struct (\w+) \{(.*?)\n\}", re.S)
FIELD_RE = re.compile(
    r"#\[prost\((.*?)\)\]\s*pub (?:r#)?(\w+):\s*(.*?),\s*(?=#\[|$)", re.S
)


def parse_module(path, src_root):
    rel = os.path.relpath(os.path.dirname(path), src_root)
    modpath = rel.split(os.sep)
    text = strip_comments(open(path).read())
    out = []
    for m in STRUCT_RE.finditer(text):
        name, body = m.group(1), m.group(2)
        fields = []
        for f in FIELD_RE.finditer(body.strip() + "\n"):
            attrs, fname, ftype = f.group(1), f.group(2), " ".join(f.group(3).split())
            ftype = re.sub(r",\s*>", ">", ftype)
            ftype = re.sub(r"<\s+", "<", ftype)
            fields.append((attrs, fname, ftype))
        out.append((modpath, name, fields))
    return out


def resolve_path(modpath, rust_path):
    """`super::super::x::Y` relative to modpath -> (module segments, Name)."""
    segs = [s for s in rust_path.split("::") if s]
    cur = list(modpath)
    while segs and segs[0] == "super":
        cur.pop()
        segs.pop(0)
    return cur + segs[:-1], segs[-1]


def inner_type(ftype):
    t = ftype
    for w in ["::core::option::Option<", "::prost::alloc::vec::Vec<", "::prost::alloc::boxed::Box<"]:
        while t.startswith(w):
            t = t[len(w):-1].strip()
    return t


def main():
    src_root = sys.argv[1] if len(sys.argv) > 1 else None
    if not src_root:
        cands = glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/k8s-pb-{K8S_PB_VERSION}/src"))
        if not cands:
            sys.exit(f"k8s-pb {K8S_PB_VERSION} not in the cargo registry: pass its src dir")
        src_root = cands[0]
    defs = json.load(open(SCHEMA))["$defs"]
    defs_by_norm = {}
    for d in defs:
        pkg, _, short = d.rpartition(".")
        defs_by_norm[(pkg, short.lower())] = d

    structs = []
    for path in sorted(glob.glob(os.path.join(src_root, "**/mod.rs"), recursive=True)):
        structs.extend(parse_module(path, src_root))

    def full_name(modpath, name):
        pkg = TOP[modpath[0]] + "".join("." + s for s in modpath[1:])
        return defs_by_norm.get((pkg, name.lower()), pkg + "." + name)

    # Fallback spellings for messages of versions the schema no longer serves
    # (apps/v1beta1 ...): the most common spelling of the normalized name.
    spellings = {}
    for d in defs.values():
        for p in d.get("properties", {}):
            c = spellings.setdefault(norm(p), {})
            c[p] = c.get(p, 0) + 1
    global_names = {k: max(c, key=lambda x: (c[x], x)) for k, c in spellings.items()}

    struct_fields = {full_name(m, n): f for m, n, f in structs}
    messages = {}
    unmatched_msgs, unmatched_fields = [], []
    for modpath, name, fields in structs:
        fname_full = full_name(modpath, name)
        d = defs.get(fname_full)
        if d is None:
            unmatched_msgs.append(fname_full)
        props = (d or {}).get("properties", {})
        required = set((d or {}).get("required", []))
        by_norm = {norm(p): p for p in props}
        short = fname_full.rsplit(".", 1)[1]
        is_status = short.endswith("Status")
        table = []
        for attrs, rust_name, ftype in fields:
            tag = int(re.search(r'tag = "(\d+)"', attrs).group(1))
            kind = attrs.split(",")[0].split("=")[0].strip()
            json_name = by_norm.get(norm(rust_name))
            inline = False
            if json_name is None and d is not None and kind == "message" and " repeated" not in attrs:
                # A Go embedded struct (`json:",inline"`): its fields belong to the parent.
                mp, mn = resolve_path(modpath, inner_type(ftype))
                # Embedded-only types (VolumeSource, ProbeHandler) have no schema
                # definition: compare the prost field names instead.
                sub = {norm(f[1]) for f in struct_fields.get(full_name(mp, mn), [])}
                if sub and len(sub & set(by_norm)) * 2 >= len(sub):
                    inline = True
                    json_name = ""
            if json_name is None:
                json_name = global_names.get(norm(rust_name)) or camel(rust_name)
                if d is not None:
                    unmatched_fields.append(f"{fname_full}.{rust_name} -> {json_name}")
            row = {"tag": tag, "name": json_name}
            if kind in ("btree_map", "hash_map"):
                k, v = [x.strip() for x in re.search(r'map = "([^"]*)"', attrs).group(1).split(",")]
                row["label"] = "map"
                row["key"] = k
                row["type"] = v
                if v == "message":
                    vt = re.search(r"Map<[^,]*,\s*(.*)>$", ftype).group(1)
                    mp, mn = resolve_path(modpath, vt.strip())
                    row["message"] = full_name(mp, mn)
            else:
                row["label"] = "repeated" if " repeated" in attrs else ("inline" if inline else "optional")
                row["type"] = kind
                if kind == "message":
                    mp, mn = resolve_path(modpath, inner_type(ftype))
                    row["message"] = full_name(mp, mn)
            # Zero-value policy (see the module doc).
            if row["label"] == "optional" and kind not in ("message",):
                if json_name in required:
                    keep = True
                elif kind in ("string", "bytes"):
                    keep = (short, json_name) in KEEP_EMPTY_STRING
                elif (short, json_name) in OMIT_ZERO or is_status:
                    keep = False
                elif json_name == "readOnly" and short.endswith("VolumeSource") and short not in POINTER_READ_ONLY:
                    keep = False
                else:
                    keep = True
                row["keepZero"] = keep
            table.append(row)
        messages[fname_full] = table

    # Every referenced message must be described.
    for name, table in messages.items():
        for row in table:
            if "message" in row and row["message"] not in messages:
                unmatched_msgs.append(f"referenced but missing: {row['message']} (from {name})")

    compact = {
        n: [
            [r["tag"], r["name"], r["label"], r["type"], r.get("message") or r.get("key") or "",
             1 if r.get("keepZero") else 0]
            for r in t
        ]
        for n, t in sorted(messages.items())
    }
    doc = {
        "provenance": f"generated by scripts/gen-protobuf-descriptors.py from k8s-pb {K8S_PB_VERSION} "
        "(prost 0.14 message structs) and data/definitions-v1.37.0.json",
        "columns": ["tag", "jsonName", "label(optional|repeated|map|inline: an embedded Go struct whose fields go to the parent)", "type",
                    "message type (message fields, message map values) or map key type", "keepZero"],
        "messages": compact,
    }
    # One message per line: small diffs, still one JSON document.
    lines = ["{", f'"provenance": {json.dumps(doc["provenance"])},', f'"columns": {json.dumps(doc["columns"])},', '"messages": {']
    items = list(compact.items())
    for i, (n, t) in enumerate(items):
        lines.append(f"{json.dumps(n)}: {json.dumps(t, separators=(',', ':'))}" + ("," if i + 1 < len(items) else ""))
    lines.append("}}")
    print("\n".join(lines))
    for u in unmatched_msgs:
        print(f"no schema definition: {u}", file=sys.stderr)
    for u in unmatched_fields:
        print(f"no schema property: {u}", file=sys.stderr)
    print(f"{len(messages)} messages, {sum(len(t) for t in messages.values())} fields; "
          f"{len(unmatched_msgs)} messages and {len(unmatched_fields)} fields unmatched", file=sys.stderr)


if __name__ == "__main__":
    main()
