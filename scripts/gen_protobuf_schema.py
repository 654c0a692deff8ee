#!/usr/bin/env python3
"""Generate src/api/protobuf/schema_gen.rs from the k8s-pb crate's prost bindings.

k8s-pb (crates.io) is prost-build output over the upstream Kubernetes
`generated.proto` files. This script reads every `#[prost(...)]` field of every
message in that crate (wire type, label, tag, message type) and joins it with
the JSON names and `required` lists of the OpenAPI definitions kubemock ships
(src/api/openapi/data/definitions.json), matching fields by their name with
case and underscores ignored (prost snake-cases the proto name, which is the
Go JSON name). Nothing about field numbers or types is written by hand.

Usage: python3 scripts/gen_protobuf_schema.py [K8S_PB_SRC_DIR] > src/api/protobuf/schema_gen.rs
(default: the k8s-pb 0.9.0 source in ~/.cargo/registry/src/*/).
"""

import glob
import json
import os
import re
import sys

K8S_PB_VERSION = "0.9.0"

root = sys.argv[1] if len(sys.argv) > 1 else None
if root is None:
    cands = glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/k8s-pb-{K8S_PB_VERSION}/src"))
    if not cands:
        sys.exit(f"k8s-pb {K8S_PB_VERSION} source not found: run `cargo fetch` first")
    root = cands[0]

here = os.path.dirname(os.path.abspath(__file__))
defs = json.load(open(os.path.join(here, "..", "src/api/openapi/data/definitions.json")))


def norm(s):
    return s.replace("r#", "").replace("_", "").replace("-", "").replace("$", "").lower()


def package_of(mods):
    return "k8s.io." + ".".join(mods)


def openapi_name(pkg, name):
    p = pkg[len("k8s.io."):]
    p = p.replace("apiextensions_apiserver", "apiextensions-apiserver").replace(
        "kube_aggregator", "kube-aggregator"
    )
    return "io.k8s." + p + "." + name


defs_by_norm = {}
for k in defs:
    pkg, _, name = k.rpartition(".")
    defs_by_norm[(pkg, name.lower())] = k

FIELD_RE = re.compile(r"^\s*#\[prost\((.*)\)\]\s*$")
DECL_RE = re.compile(r"^\s*pub (r#)?([a-z0-9_]+): ?(.*),\s*$")
STRUCT_RE = re.compile(r"^pub struct ([A-Za-z0-9_]+) \{")
EMPTY_STRUCT_RE = re.compile(r"^pub struct ([A-Za-z0-9_]+) \{\}")
IMPL_RE = re.compile(r"^impl crate::Resource for ([A-Za-z0-9_]+) \{")
CONST_RE = re.compile(r'^\s*const (API_VERSION|KIND): &\'static str = "([^"]*)";')

total_attrs = 0
messages = {}  # full rust path "pkg.Name" -> dict
api_versions = {}  # apiVersion -> pkg
kinds = {}  # (pkg, RustName) -> KIND

for path in sorted(glob.glob(os.path.join(root, "**/mod.rs"), recursive=True)):
    rel = os.path.relpath(os.path.dirname(path), root)
    mods = rel.split(os.sep)
    pkg = package_of(mods)
    lines = open(path).read().split("\n")
    cur = None
    attr = None
    impl = None
    # rustfmt splits long declarations (`pub labels:\n    BTreeMap<...>,`): join them.
    joined = []
    for line in lines:
        last = joined[-1] if joined else ""
        open_decl = last.startswith("    pub ") and not last.startswith("    pub struct") and (
            not last.endswith(",") or last.count("<") != last.count(">")
        )
        if open_decl:
            joined[-1] = last + ("" if last.endswith("<") else " ") + line.strip()
        else:
            joined.append(line)
    for line in joined:
        if FIELD_RE.match(line):
            total_attrs += 1
        m = EMPTY_STRUCT_RE.match(line)
        if m:
            messages[pkg + "." + m.group(1)] = {"pkg": pkg, "rust": m.group(1), "fields": [], "mods": mods}
            continue
        m = STRUCT_RE.match(line)
        if m:
            cur = {"pkg": pkg, "rust": m.group(1), "fields": [], "mods": mods}
            messages[pkg + "." + m.group(1)] = cur
            continue
        if line.startswith("}"):
            cur = None
            impl = None
            continue
        m = IMPL_RE.match(line)
        if m:
            impl = m.group(1)
            continue
        if impl:
            m = CONST_RE.match(line)
            if m and m.group(1) == "API_VERSION":
                api_versions.setdefault(m.group(2), pkg)
            elif m and m.group(1) == "KIND":
                kinds[(pkg, impl)] = m.group(2)
            continue
        if cur is None:
            continue
        m = FIELD_RE.match(line)
        if m:
            attr = m.group(1)
            continue
        m = DECL_RE.match(line)
        if m and attr is not None:
            cur["fields"].append({"rust": m.group(2), "attr": attr, "ty": m.group(3)})
            attr = None
        elif attr is not None and line.strip() and not line.strip().startswith("///"):
            raise SystemExit(f"{path}: unparsed field declaration: {line!r}")

# The meta group version is registered under its own name too.
api_versions.setdefault("meta.k8s.io/v1", "k8s.io.apimachinery.pkg.apis.meta.v1")
api_versions.setdefault("meta.k8s.io/v1beta1", "k8s.io.apimachinery.pkg.apis.meta.v1beta1")

WRAPPERS = [
    "::core::option::Option<",
    "::prost::alloc::vec::Vec<",
    "::prost::alloc::boxed::Box<",
    "::std::collections::BTreeMap<::prost::alloc::string::String,",
    "::prost::alloc::collections::BTreeMap<::prost::alloc::string::String,",
]


def resolve_type(ty, mods):
    t = ty.replace(" ", "").replace(",>", ">")
    changed = True
    while changed:
        changed = False
        for w in WRAPPERS:
            if t.startswith(w):
                t = t[len(w):-1]
                changed = True
    parts = t.split("::")
    base = list(mods)
    while parts and parts[0] == "super":
        base.pop()
        parts.pop(0)
    return package_of(base + parts[:-1]) + "." + parts[-1]


# Proto names: the Resource KIND, else the OpenAPI definition name, else the Rust name.
proto_name = {}
for key, msg in messages.items():
    name = kinds.get((msg["pkg"], msg["rust"]))
    d = None
    oa_pkg = openapi_name(msg["pkg"], "x")[:-2]
    if (oa_pkg, msg["rust"].lower()) in defs_by_norm:
        d = defs_by_norm[(oa_pkg, msg["rust"].lower())]
    if name is None:
        name = d.rpartition(".")[2] if d else msg["rust"]
    msg["name"] = msg["pkg"] + "." + name
    msg["def"] = defs.get(d) if d else None
    proto_name[key] = msg["name"]

n_fields = sum(len(m["fields"]) for m in messages.values())
if n_fields != total_attrs:
    raise SystemExit(f"parsed {n_fields} fields but k8s-pb has {total_attrs} #[prost] attributes")

order = sorted(messages.values(), key=lambda m: m["name"])
index = {m["name"]: i for i, m in enumerate(order)}

SPECIAL = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time": "Time",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": "MicroTime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": "Duration",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "Quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "RawJson",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": "RawJson",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON": "RawJson",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSON": "RawJson",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool": "PropsOrBool",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrBool": "PropsOrBool",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray": "PropsOrArray",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrArray": "PropsOrArray",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": "PropsOrStringArray",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrStringArray": "PropsOrStringArray",
}

SCALARS = {
    "string": "String",
    "int32": "Int32",
    "int64": "Int64",
    "bool": "Bool",
    "double": "Double",
}

by_name = {m["name"]: m for m in order}


def field_target(m, f):
    a = f["attr"]
    if a.startswith("message") or re.match(r'btree_map = "string, message"', a):
        return proto_name[resolve_type(f["ty"], m["mods"])]
    return None


# Embedded Go structs (`LocalObjectReference `json:",inline"``, `VolumeSource`,
# `ProbeHandler`): a proto field of their own, flattened into the parent in JSON.
# Such a field's name is not a JSON property of the parent while every field of
# the child is; a child without an OpenAPI definition takes its JSON names from
# the parent's properties. Iterate for nested embeddings.
def covered(msg, f, by_norm, depth=0):
    """Whether field `f` of `msg` has a JSON property in `by_norm`, itself or
    through a further embedded struct."""
    if norm(f["rust"]) in by_norm:
        return True
    a = f["attr"]
    if depth > 2 or not a.startswith("message") or "repeated" in a:
        return False
    child = by_name[field_target(msg, f)]
    return bool(child["fields"]) and all(covered(child, cf, by_norm, depth + 1) for cf in child["fields"])


props_of = {m["name"]: dict((m["def"] or {}).get("properties", {})) for m in order}
inline_fields = set()
changed = True
while changed:
    changed = False
    for m in order:
        props = props_of[m["name"]]
        if not props:
            continue
        by_norm = {norm(p): p for p in props}
        for f in m["fields"]:
            if norm(f["rust"]) in by_norm or (m["name"], f["rust"]) in inline_fields:
                continue
            a = f["attr"]
            if not a.startswith("message") or "repeated" in a:
                continue
            child = by_name[field_target(m, f)]
            if child["fields"] and all(covered(child, cf, by_norm) for cf in child["fields"]):
                inline_fields.add((m["name"], f["rust"]))
                for p in props:
                    props_of[child["name"]].setdefault(p, props[p])
                changed = True

derived = []
wrappers = set()
out_msgs = []
for m in order:
    props = props_of[m["name"]]
    required = set((m["def"] or {}).get("required", []))
    by_norm = {norm(p): p for p in props}
    fields = []
    for f in m["fields"]:
        a = f["attr"]
        tag = int(re.search(r'tag = "(\d+)"', a).group(1))
        repeated = "repeated" in a.split(",")[1] if "," in a else False
        mk = re.match(r'btree_map = "string, (\w+)"', a)
        target = field_target(m, f)
        if mk:
            vk = mk.group(1)
            if vk == "message":
                kind = f"MapMessage({index[target]})"
            elif vk == "string":
                kind = "MapString"
            elif vk == "bytes":
                kind = "MapBytes"
            else:
                raise SystemExit(f"unsupported map {a}")
        else:
            first = a.split(",")[0].strip()
            if first == "message":
                kind = f"Message({index[target]})"
            elif first.startswith("bytes"):
                kind = "Bytes"
            elif first in SCALARS:
                kind = SCALARS[first]
            else:
                raise SystemExit(f"unsupported field {a}")
        inline = (m["name"], f["rust"]) in inline_fields
        json_name = by_norm.get(norm(f["rust"]))
        if json_name is None:
            parts = f["rust"].replace("r#", "").split("_")
            json_name = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
            if not inline:
                derived.append(f"{m['name']}.{json_name}")
        prop = props.get(json_name, {})
        # go-to-protobuf turns a named slice type (`type ExtraValue []string`) into a
        # message with one repeated `items` field; JSON shows the bare array.
        if target and not repeated:
            p = prop.get("additionalProperties", {}) if mk else prop
            if p.get("type") == "array":
                wrappers.add(target)
        fields.append((tag, json_name, kind, repeated, json_name in required, inline))
    fields.sort()
    out_msgs.append((m["name"], fields))

print("//! Protobuf schema of the Kubernetes built-in types: GENERATED by")
print(f"//! `scripts/gen_protobuf_schema.py` from the k8s-pb {K8S_PB_VERSION} prost bindings")
print("//! (prost-build over the upstream `generated.proto` files) and the OpenAPI")
print("//! definitions' JSON names and `required` lists. Do not edit by hand.")
print()
print("use super::schema::{Field, Form, Kind::*, Message};")
print()
print("/// Every message, sorted by full proto name.")
print("pub(super) static MESSAGES: &[Message] = &[")
for name, fields in out_msgs:
    form = SPECIAL.get(name)
    if form is None and name in wrappers:
        form = "ArrayWrapper"
    form = form or "Object"
    print(f"    Message {{ name: {json.dumps(name)}, form: Form::{form}, fields: &[")
    for tag, json_name, kind, repeated, req, inline in fields:
        print(
            f"        Field {{ json: {json.dumps(json_name)}, tag: {tag}, kind: {kind}, "
            f"repeated: {str(repeated).lower()}, required: {str(req).lower()}, "
            f"inline: {str(inline).lower()} }},"
        )
    print("    ] },")
print("];")
print()
print("/// apiVersion -> proto package, from the `Resource` impls.")
print("pub(super) static API_VERSIONS: &[(&str, &str)] = &[")
for av in sorted(api_versions):
    print(f"    ({json.dumps(av)}, {json.dumps(api_versions[av])}),")
print("];")
print()
print("/// JSON names not found in the OpenAPI definitions (derived from the prost name).")
print("#[cfg(test)]")
print("pub(super) static DERIVED_JSON_NAMES: &[&str] = &[")
for d in derived:
    print(f"    {json.dumps(d)},")
print("];")
