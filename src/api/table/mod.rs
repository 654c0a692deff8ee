//! Server-side Table conversion (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), the data
//! behind `kubectl get`.
//!
//! Pure functions over `serde_json::Value` objects (the versioned object as served):
//! - built-in resources use the printers of `pkg/printers/internalversion/printers.go`, run with
//!   `GenerateOptions{Wide: true}` (`pkg/printers/storage/storage.go`), so the `-o wide` (priority 1)
//!   cells are always present; their column definitions are data in [`printers`];
//! - custom resources use the CRD `additionalPrinterColumns`
//!   (`staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresource/tableconvertor`);
//! - everything else uses the default convertor (`staging/src/k8s.io/apiserver/pkg/registry/rest/table.go`):
//!   columns Name / Created At, cells `[name, creationTimestamp RFC3339]`, `rows: null` when empty.
//!
//! Quantities (PV capacity, HPA targets) are printed as stored, not re-canonicalised (UNVERIFIED for
//! non-canonical input).

pub mod duration;
pub mod printers;

use chrono::{DateTime, Utc};
use printers::{Column, PrintKind, META_CREATION_TIMESTAMP, META_NAME};
use serde_json::{json, Map, Value};

/// The `includeObject` Table option (`metav1.IncludeObjectPolicy`, `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    /// `None`: `"object": null`.
    None,
    /// `Metadata` (default): a `PartialObjectMetadata`.
    Metadata,
    /// `Object`: the full object.
    Object,
}

impl IncludeObject {
    /// Parses the `includeObject` query parameter like `ValidateTableOptions`
    /// (`staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go`) as reported by
    /// `asTable` (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/response.go`):
    /// absent or `""` or `"Metadata"` -> Metadata, `"Object"`, `"None"`; anything else is the 400 message.
    pub fn parse(s: Option<&str>) -> Result<IncludeObject, String> {
        match s.unwrap_or("") {
            "" | "Metadata" => Ok(IncludeObject::Metadata),
            "Object" => Ok(IncludeObject::Object),
            "None" => Ok(IncludeObject::None),
            other => Err(format!(
                "Unable to convert to Table as requested: includeObject: Invalid value: {}: must be 'Metadata', 'Object', 'None', or empty",
                go_quote(other)
            )),
        }
    }
}

/// Go `%q`-style quoting for the error message (ASCII escapes only; UNVERIFIED for non-printable runes).
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether (group, resource) has a built-in printer (`AddHandlers` in
/// `pkg/printers/internalversion/printers.go`). Built-in printers return `rows: []` for an empty
/// list; the default convertor (`registry/rest/table.go`) returns `rows: null`.
pub fn has_printer(group: &str, resource: &str) -> bool {
    printers::lookup(group, resource).is_some()
}

fn column_json(c: &Column) -> Value {
    json!({"name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority})
}

/// Column definitions: the printer's (`AddHandlers`), the CRD's (`tableconvertor.New`: Name plus
/// `additionalPrinterColumns`, or Name plus the default `Age` column when the CRD lists none, as
/// `serveDefaultColumnsIfEmpty` in `customresource_handler.go`), or the default convertor's
/// Name / Created At (`registry/rest/table.go` `defaultTableConvertor`).
pub fn column_definitions(group: &str, resource: &str, custom: Option<&Value>) -> Vec<Value> {
    if let Some(p) = printers::lookup(group, resource) {
        return p.columns.iter().map(column_json).collect();
    }
    if let Some(custom) = custom {
        let mut cols = vec![
            json!({"name": "Name", "type": "string", "format": "name", "description": META_NAME, "priority": 0}),
        ];
        for c in custom_columns(custom) {
            cols.push(json!({"name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority}));
        }
        return cols;
    }
    vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": META_NAME, "priority": 0}),
        json!({"name": "Created At", "type": "date", "format": "", "description": META_CREATION_TIMESTAMP, "priority": 0}),
    ]
}

struct CustomColumn {
    name: String,
    type_: String,
    format: String,
    description: String,
    priority: i64,
    json_path: String,
}

fn custom_columns(custom: &Value) -> Vec<CustomColumn> {
    let list = custom.as_array().map(|a| a.as_slice()).unwrap_or(&[]);
    if list.is_empty() {
        return vec![CustomColumn {
            name: "Age".into(),
            type_: "date".into(),
            format: String::new(),
            description: META_CREATION_TIMESTAMP.into(),
            priority: 0,
            json_path: ".metadata.creationTimestamp".into(),
        }];
    }
    list.iter()
        .map(|c| CustomColumn {
            name: s(c, &["name"]).to_string(),
            type_: s(c, &["type"]).to_string(),
            format: s(c, &["format"]).to_string(),
            description: s(c, &["description"]).to_string(),
            priority: int(c, &["priority"]),
            json_path: {
                let p = s(c, &["jsonPath"]);
                if p.is_empty() { s(c, &["JSONPath"]) } else { p }.to_string()
            },
        })
        .collect()
}

/// The row `object` for an include policy (`asTable` in `handlers/response.go`: `Metadata` becomes a
/// `PartialObjectMetadata` of the Table's group version).
fn row_object(obj: &Value, include: IncludeObject, table_version: &str) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => obj.clone(),
        IncludeObject::Metadata => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": format!("meta.k8s.io/{table_version}"),
            "metadata": obj.get("metadata").filter(|m| m.is_object()).cloned().unwrap_or_else(|| json!({})),
        }),
    }
}

/// One row per object (`printers.go` `print<Kind>`, the CR tableconvertor, or `defaultTableConvertor`):
/// `{"cells":[...],"object":...}`, plus `conditions` for finished pods (`podSuccessConditions` /
/// `podFailedConditions`).
pub fn rows(
    group: &str,
    resource: &str,
    custom: Option<&Value>,
    objects: &[Value],
    include: IncludeObject,
    table_version: &str,
    now: DateTime<Utc>,
) -> Vec<Value> {
    objects
        .iter()
        .map(|o| {
            let (cells, conditions) = cells_for(group, resource, custom, o, now);
            let mut row = Map::new();
            row.insert("cells".into(), Value::Array(cells));
            if let Some(c) = conditions {
                row.insert("conditions".into(), c);
            }
            row.insert("object".into(), row_object(o, include, table_version));
            Value::Object(row)
        })
        .collect()
}

/// The whole Table (`metav1.Table`), as built by `TableGenerator.GenerateTable`
/// (`pkg/printers/tablegenerator.go`) or `defaultTableConvertor.ConvertToTable`: `metadata` is
/// `list_meta` as given, `columnDefinitions` is null when `with_columns` is false (`NoHeaders`,
/// watch events after the first), `rows` is `[]` for an empty list with a printer or CRD columns and
/// `null` with the default convertor.
#[allow(clippy::too_many_arguments)]
pub fn table(
    group: &str,
    resource: &str,
    custom: Option<&Value>,
    objects: &[Value],
    include: IncludeObject,
    table_version: &str,
    list_meta: Value,
    with_columns: bool,
    now: DateTime<Utc>,
) -> Value {
    let r = rows(
        group,
        resource,
        custom,
        objects,
        include,
        table_version,
        now,
    );
    let rows_v = if r.is_empty() && !has_printer(group, resource) && custom.is_none() {
        Value::Null
    } else {
        Value::Array(r)
    };
    let cols = if with_columns {
        Value::Array(column_definitions(group, resource, custom))
    } else {
        Value::Null
    };
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{table_version}"),
        "metadata": if list_meta.is_object() { list_meta } else { json!({}) },
        "columnDefinitions": cols,
        "rows": rows_v,
    })
}

/// The watch-list end bookmark as a Table (1.34+, `asTable` in `handlers/response.go`, apiserver commit
/// deed26f8): exactly one row, the printer run on the bookmark object (an empty object of the
/// resource's kind with only `metadata.resourceVersion` and annotations), and the row `object` is
/// always the `PartialObjectMetadata` even with `includeObject=None`. For secrets this gives cells
/// `["", "", 0, "<unknown>"]` (golden s7-41b). `metadata` is `{"resourceVersion": <bookmark rv>}`.
/// UNVERIFIED: the cells for kinds other than Secret follow from running each printer on the empty object.
pub fn bookmark_table(
    group: &str,
    resource: &str,
    custom: Option<&Value>,
    bookmark: &Value,
    table_version: &str,
    with_columns: bool,
    now: DateTime<Utc>,
) -> Value {
    let rv = s(bookmark, &["metadata", "resourceVersion"]).to_string();
    table(
        group,
        resource,
        custom,
        std::slice::from_ref(bookmark),
        IncludeObject::Metadata,
        table_version,
        json!({"resourceVersion": rv}),
        with_columns,
        now,
    )
}

// ---------------------------------------------------------------------------------------------
// JSON helpers: missing or mistyped fields read as Go zero values.

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.as_object()?.get(*p)?;
    }
    if cur.is_null() {
        None
    } else {
        Some(cur)
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

fn int(v: &Value, path: &[&str]) -> i64 {
    match get(v, path) {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        _ => 0,
    }
}

fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or(&[])
}

fn map_len(v: &Value, path: &[&str]) -> usize {
    get(v, path)
        .and_then(Value::as_object)
        .map(|m| m.len())
        .unwrap_or(0)
}

fn boolean(v: &Value, path: &[&str]) -> bool {
    get(v, path).and_then(Value::as_bool).unwrap_or(false)
}

fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `translateTimestampSince` (`printers.go`): `<unknown>` for a zero/missing time, else HumanDuration.
fn since(t: &str, now: DateTime<Utc>) -> String {
    match parse_time(t) {
        Some(ts) if ts.timestamp() != -62135596800 => duration::human_duration(now - ts),
        _ => "<unknown>".to_string(),
    }
}

fn age(o: &Value, now: DateTime<Utc>) -> Value {
    Value::String(since(s(o, &["metadata", "creationTimestamp"]), now))
}

fn name(o: &Value) -> Value {
    Value::String(s(o, &["metadata", "name"]).to_string())
}

/// `labels.FormatLabels`: sorted `k=v` joined by `,`, `<none>` when empty.
fn format_labels(v: Option<&Value>) -> String {
    let mut pairs: Vec<String> = v
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{}={}", k, v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    if pairs.is_empty() {
        "<none>".into()
    } else {
        pairs.join(",")
    }
}

/// `metav1.LabelSelectorAsSelector(sel).String()`; `Err` when the selector is invalid.
fn selector_string(sel: Option<&Value>) -> Result<String, ()> {
    let Some(sel) = sel.filter(|v| v.is_object()) else {
        return Ok(String::new()); // labels.Nothing()
    };
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(m) = get(sel, &["matchLabels"]).and_then(Value::as_object) {
        for (k, v) in m {
            reqs.push((k.clone(), format!("{}={}", k, v.as_str().unwrap_or(""))));
        }
    }
    for e in arr(sel, &["matchExpressions"]) {
        let key = s(e, &["key"]).to_string();
        let mut vals: Vec<String> = arr(e, &["values"])
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect();
        vals.sort();
        vals.dedup();
        let r = match s(e, &["operator"]) {
            "In" => format!("{} in ({})", key, vals.join(",")),
            "NotIn" => format!("{} notin ({})", key, vals.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            _ => return Err(()),
        };
        reqs.push((key, r));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs.into_iter().map(|r| r.1).collect::<Vec<_>>().join(","))
}

/// `metav1.FormatLabelSelector`: `<error>` if invalid, `<none>` if empty.
fn format_label_selector(sel: Option<&Value>) -> String {
    match selector_string(sel) {
        Err(()) => "<error>".into(),
        Ok(s) if s.is_empty() => "<none>".into(),
        Ok(s) => s,
    }
}

/// `layoutContainerCells`: names and images joined by `,`.
fn layout_containers(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| s(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| s(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

fn str_or(v: &str, default: &str) -> String {
    if v.is_empty() {
        default.to_string()
    } else {
        v.to_string()
    }
}

/// `listWithMoreString`.
fn list_with_more(list: &[String], more: bool, count: usize, max: usize) -> String {
    let ret = list.join(",");
    if more {
        return format!("{} + {} more...", ret, count - max);
    }
    if ret.is_empty() {
        "<unset>".into()
    } else {
        ret
    }
}

/// Go `fmt.Sprint` of a decoded JSON value (for jsonpath text output). UNVERIFIED for maps/lists.
fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() < 1e21 {
                    format!("{}", f as i64)
                } else {
                    format!("{f}")
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(go_sprint).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            format!(
                "map[{}]",
                keys.iter()
                    .map(|k| format!("{}:{}", k, go_sprint(&m[*k])))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    }
}

/// Simple JSONPath (`.a.b`, `.a[0].b`, `{.a.b}`) as accepted for CRD printer columns.
fn simple_json_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let p = path.trim();
    let p = p
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(p);
    let p = p.strip_prefix('$').unwrap_or(p);
    let mut cur = v;
    for seg in p.split('.').filter(|x| !x.is_empty()) {
        let (field, rest) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if !field.is_empty() {
            cur = cur.as_object()?.get(field)?;
        }
        let mut rest = rest;
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let idx = &r[..end];
            let a = cur.as_array()?;
            let i: i64 = idx.trim().parse().ok()?;
            let i = if i < 0 { a.len() as i64 + i } else { i };
            cur = a.get(usize::try_from(i).ok()?)?;
            rest = &r[end + 1..];
        }
    }
    if cur.is_null() {
        None
    } else {
        Some(cur)
    }
}

/// `cellForJSONValue` (apiextensions `tableconvertor.go`).
fn cell_for_json_value(header_type: &str, value: &Value, now: DateTime<Utc>) -> Value {
    match header_type {
        "integer" => match value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .map(Value::from)
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "number" => match value {
            Value::Number(n) => n.as_f64().map(Value::from).unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "boolean" => match value {
            Value::Bool(b) => Value::Bool(*b),
            _ => Value::Null,
        },
        "date" => match value {
            Value::String(t) => match parse_time(t) {
                Some(_) => Value::String(since(t, now)),
                None => Value::String("<invalid>".into()),
            },
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

fn cells_for(
    group: &str,
    resource: &str,
    custom: Option<&Value>,
    o: &Value,
    now: DateTime<Utc>,
) -> (Vec<Value>, Option<Value>) {
    if let Some(p) = printers::lookup(group, resource) {
        return print(p.kind, group, o, now);
    }
    if let Some(custom) = custom {
        let mut cells = vec![name(o)];
        for c in custom_columns(custom) {
            let cell = match simple_json_path(o, &c.json_path) {
                None => Value::Null,
                Some(v) if c.type_ == "string" => Value::String(go_sprint(v)),
                Some(v) => cell_for_json_value(&c.type_, v, now),
            };
            cells.push(cell);
        }
        return (cells, None);
    }
    // defaultTableConvertor: m.GetCreationTimestamp().Time.UTC().Format(time.RFC3339)
    let created = parse_time(s(o, &["metadata", "creationTimestamp"]))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string());
    (vec![name(o), Value::String(created)], None)
}

fn print(
    kind: PrintKind,
    group: &str,
    o: &Value,
    now: DateTime<Utc>,
) -> (Vec<Value>, Option<Value>) {
    let n = name(o);
    let a = age(o, now);
    let cells: Vec<Value> = match kind {
        PrintKind::Pod => return print_pod(o, now),
        PrintKind::PodTemplate => {
            let (names, images) = layout_containers(arr(o, &["template", "spec", "containers"]));
            vec![
                n,
                names.into(),
                images.into(),
                format_labels(get(o, &["template", "metadata", "labels"])).into(),
            ]
        }
        PrintKind::PodDisruptionBudget => {
            let int_or_str = |p: &[&str]| match get(o, p) {
                Some(Value::Number(x)) => x.to_string(),
                Some(Value::String(x)) => x.clone(),
                _ => "N/A".to_string(),
            };
            vec![
                n,
                int_or_str(&["spec", "minAvailable"]).into(),
                int_or_str(&["spec", "maxUnavailable"]).into(),
                int(o, &["status", "disruptionsAllowed"]).into(),
                a,
            ]
        }
        PrintKind::ReplicationController => {
            let (names, images) =
                layout_containers(arr(o, &["spec", "template", "spec", "containers"]));
            vec![
                n,
                int(o, &["spec", "replicas"]).into(),
                int(o, &["status", "replicas"]).into(),
                int(o, &["status", "readyReplicas"]).into(),
                a,
                names.into(),
                images.into(),
                format_labels(get(o, &["spec", "selector"])).into(),
            ]
        }
        PrintKind::ReplicaSet => {
            let (names, images) =
                layout_containers(arr(o, &["spec", "template", "spec", "containers"]));
            vec![
                n,
                int(o, &["spec", "replicas"]).into(),
                int(o, &["status", "replicas"]).into(),
                int(o, &["status", "readyReplicas"]).into(),
                a,
                names.into(),
                images.into(),
                format_label_selector(get(o, &["spec", "selector"])).into(),
            ]
        }
        PrintKind::Job => print_job(o, now),
        PrintKind::CronJob => {
            let last = match get(o, &["status", "lastScheduleTime"]).and_then(Value::as_str) {
                Some(t) => since(t, now),
                None => "<none>".into(),
            };
            let tz = get(o, &["spec", "timeZone"])
                .and_then(Value::as_str)
                .unwrap_or("<none>");
            let suspend = match get(o, &["spec", "suspend"]).and_then(Value::as_bool) {
                Some(true) => "True",
                Some(false) => "False",
                None => "<unset>",
            };
            let jt = &["spec", "jobTemplate", "spec"];
            let (names, images) = layout_containers(arr(
                o,
                &[jt[0], jt[1], jt[2], "template", "spec", "containers"],
            ));
            vec![
                n,
                s(o, &["spec", "schedule"]).into(),
                tz.into(),
                suspend.into(),
                (arr(o, &["status", "active"]).len() as i64).into(),
                last.into(),
                a,
                names.into(),
                images.into(),
                format_label_selector(get(o, &[jt[0], jt[1], jt[2], "selector"])).into(),
            ]
        }
        PrintKind::Service => print_service(o, n, a),
        PrintKind::Ingress => {
            let class = get(o, &["spec", "ingressClassName"])
                .and_then(Value::as_str)
                .unwrap_or("<none>");
            let ports = if arr(o, &["spec", "tls"]).is_empty() {
                "80"
            } else {
                "80, 443"
            };
            vec![
                n,
                class.into(),
                format_hosts(arr(o, &["spec", "rules"])).into(),
                lb_status(arr(o, &["status", "loadBalancer", "ingress"])).into(),
                ports.into(),
                a,
            ]
        }
        PrintKind::IngressClass => {
            let params = match get(o, &["spec", "parameters"]) {
                Some(p) => {
                    let mut x = s(p, &["kind"]).to_string();
                    if let Some(g) = get(p, &["apiGroup"]).and_then(Value::as_str) {
                        x = format!("{x}.{g}");
                    }
                    format!("{}/{}", x, s(p, &["name"]))
                }
                None => "<none>".into(),
            };
            vec![n, s(o, &["spec", "controller"]).into(), params.into(), a]
        }
        PrintKind::StatefulSet => {
            let (names, images) =
                layout_containers(arr(o, &["spec", "template", "spec", "containers"]));
            vec![
                n,
                format!(
                    "{}/{}",
                    int(o, &["status", "readyReplicas"]),
                    int(o, &["spec", "replicas"])
                )
                .into(),
                a,
                names.into(),
                images.into(),
            ]
        }
        PrintKind::DaemonSet => {
            let (names, images) =
                layout_containers(arr(o, &["spec", "template", "spec", "containers"]));
            vec![
                n,
                int(o, &["status", "desiredNumberScheduled"]).into(),
                int(o, &["status", "currentNumberScheduled"]).into(),
                int(o, &["status", "numberReady"]).into(),
                int(o, &["status", "updatedNumberScheduled"]).into(),
                int(o, &["status", "numberAvailable"]).into(),
                format_labels(get(o, &["spec", "template", "spec", "nodeSelector"])).into(),
                a,
                names.into(),
                images.into(),
                format_label_selector(get(o, &["spec", "selector"])).into(),
            ]
        }
        PrintKind::Endpoints => vec![n, format_endpoints(o).into(), a],
        PrintKind::EndpointSlice => {
            let ports = arr(o, &["ports"]);
            let max = 3;
            let mut list = Vec::new();
            let mut more = false;
            for p in ports {
                if list.len() < max {
                    let v = match get(p, &["port"]) {
                        Some(x) if x.is_number() => int(p, &["port"]).to_string(),
                        _ => match get(p, &["name"]).and_then(Value::as_str) {
                            Some(nm) => nm.to_string(),
                            None => "*".to_string(),
                        },
                    };
                    list.push(v);
                } else if list.len() == max {
                    more = true;
                }
            }
            let ports_s = list_with_more(&list, more, ports.len(), max);
            let mut list = Vec::new();
            let mut more = false;
            let mut count = 0;
            for e in arr(o, &["endpoints"]) {
                for addr in arr(e, &["addresses"]) {
                    if list.len() < max {
                        list.push(addr.as_str().unwrap_or("").to_string());
                    } else if list.len() == max {
                        more = true;
                    }
                    count += 1;
                }
            }
            let eps = list_with_more(&list, more, count, max);
            vec![
                n,
                s(o, &["addressType"]).into(),
                ports_s.into(),
                eps.into(),
                a,
            ]
        }
        PrintKind::Node => print_node(o, n, a),
        PrintKind::Event => print_event(o, group, n, now),
        PrintKind::Namespace => vec![n, s(o, &["status", "phase"]).into(), a],
        PrintKind::Secret => vec![
            n,
            s(o, &["type"]).into(),
            (map_len(o, &["data"]) as i64).into(),
            a,
        ],
        PrintKind::ServiceAccount => vec![n, (arr(o, &["secrets"]).len() as i64).into(), a],
        PrintKind::PersistentVolume => {
            let claim = match get(o, &["spec", "claimRef"]) {
                Some(c) => format!("{}/{}", s(c, &["namespace"]), s(c, &["name"])),
                None => String::new(),
            };
            let phase = if get(o, &["metadata", "deletionTimestamp"]).is_some() {
                "Terminating".to_string()
            } else {
                s(o, &["status", "phase"]).to_string()
            };
            let class = {
                let ann = s(
                    o,
                    &[
                        "metadata",
                        "annotations",
                        "volume.beta.kubernetes.io/storage-class",
                    ],
                );
                if get(
                    o,
                    &[
                        "metadata",
                        "annotations",
                        "volume.beta.kubernetes.io/storage-class",
                    ],
                )
                .is_some()
                {
                    ann.to_string()
                } else {
                    s(o, &["spec", "storageClassName"]).to_string()
                }
            };
            vec![
                n,
                quantity(get(o, &["spec", "capacity", "storage"])).into(),
                access_modes(arr(o, &["spec", "accessModes"])).into(),
                s(o, &["spec", "persistentVolumeReclaimPolicy"]).into(),
                phase.into(),
                claim.into(),
                class.into(),
                get(o, &["spec", "volumeAttributesClassName"])
                    .and_then(Value::as_str)
                    .unwrap_or("<unset>")
                    .into(),
                s(o, &["status", "reason"]).into(),
                a,
                get(o, &["spec", "volumeMode"])
                    .and_then(Value::as_str)
                    .unwrap_or("<unset>")
                    .into(),
            ]
        }
        PrintKind::PersistentVolumeClaim => {
            let phase = if get(o, &["metadata", "deletionTimestamp"]).is_some() {
                "Terminating".to_string()
            } else {
                s(o, &["status", "phase"]).to_string()
            };
            let volume = s(o, &["spec", "volumeName"]);
            let (capacity, modes) = if volume.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    quantity(get(o, &["status", "capacity", "storage"])),
                    access_modes(arr(o, &["status", "accessModes"])),
                )
            };
            let key = "volume.beta.kubernetes.io/storage-class";
            let class = if get(o, &["metadata", "annotations", key]).is_some() {
                s(o, &["metadata", "annotations", key]).to_string()
            } else {
                s(o, &["spec", "storageClassName"]).to_string()
            };
            vec![
                n,
                phase.into(),
                volume.into(),
                capacity.into(),
                modes.into(),
                class.into(),
                get(o, &["spec", "volumeAttributesClassName"])
                    .and_then(Value::as_str)
                    .unwrap_or("<unset>")
                    .into(),
                a,
                get(o, &["spec", "volumeMode"])
                    .and_then(Value::as_str)
                    .unwrap_or("<unset>")
                    .into(),
            ]
        }
        PrintKind::ComponentStatus => {
            let (mut st, mut msg, mut err) = ("Unknown", "", "");
            for c in arr(o, &["conditions"]) {
                if s(c, &["type"]) == "Healthy" {
                    st = if s(c, &["status"]) == "True" {
                        "Healthy"
                    } else {
                        "Unhealthy"
                    };
                    msg = s(c, &["message"]);
                    err = s(c, &["error"]);
                    break;
                }
            }
            vec![n, st.into(), msg.into(), err.into()]
        }
        PrintKind::Deployment => {
            let (names, images) =
                layout_containers(arr(o, &["spec", "template", "spec", "containers"]));
            let sel = match selector_string(get(o, &["spec", "selector"])) {
                Ok(x) => x,
                Err(()) => "<invalid>".into(),
            };
            vec![
                n,
                format!(
                    "{}/{}",
                    int(o, &["status", "readyReplicas"]),
                    int(o, &["spec", "replicas"])
                )
                .into(),
                int(o, &["status", "updatedReplicas"]).into(),
                int(o, &["status", "availableReplicas"]).into(),
                a,
                names.into(),
                images.into(),
                sel.into(),
            ]
        }
        PrintKind::HorizontalPodAutoscaler => {
            let reference = format!(
                "{}/{}",
                s(o, &["spec", "scaleTargetRef", "kind"]),
                s(o, &["spec", "scaleTargetRef", "name"])
            );
            let min = match get(o, &["spec", "minReplicas"]) {
                Some(_) => int(o, &["spec", "minReplicas"]).to_string(),
                None => "<unset>".into(),
            };
            vec![
                n,
                reference.into(),
                format_hpa_metrics(o).into(),
                min.into(),
                int(o, &["spec", "maxReplicas"]).into(),
                int(o, &["status", "currentReplicas"]).into(),
                a,
            ]
        }
        PrintKind::ConfigMap => vec![
            n,
            ((map_len(o, &["data"]) + map_len(o, &["binaryData"])) as i64).into(),
            a,
        ],
        PrintKind::NetworkPolicy => {
            // FormatLabelSelector(&spec.podSelector): a non-nil pointer, so an absent selector is `{}`.
            let sel = get(o, &["spec", "podSelector"])
                .cloned()
                .unwrap_or_else(|| json!({}));
            vec![n, format_label_selector(Some(&sel)).into(), a]
        }
        PrintKind::RoleBinding => {
            let role_ref = format!(
                "{}/{}",
                s(o, &["roleRef", "kind"]),
                s(o, &["roleRef", "name"])
            );
            let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
            for sub in arr(o, &["subjects"]) {
                match s(sub, &["kind"]) {
                    "ServiceAccount" => {
                        sas.push(format!("{}/{}", s(sub, &["namespace"]), s(sub, &["name"])))
                    }
                    "User" => users.push(s(sub, &["name"]).to_string()),
                    "Group" => groups.push(s(sub, &["name"]).to_string()),
                    _ => {}
                }
            }
            vec![
                n,
                role_ref.into(),
                a,
                users.join(", ").into(),
                groups.join(", ").into(),
                sas.join(", ").into(),
            ]
        }
        PrintKind::ResourceQuota => {
            let hard = get(o, &["status", "hard"]).and_then(Value::as_object);
            let mut keys: Vec<&String> = hard.map(|h| h.keys().collect()).unwrap_or_default();
            keys.sort();
            let (mut req, mut lim) = (Vec::new(), Vec::new());
            for k in keys {
                let used = quantity(get(o, &["status", "used", k]));
                let h = quantity(get(o, &["status", "hard", k]));
                let entry = format!("{k}: {used}/{h}");
                let pieces: Vec<&str> = k.split('.').collect();
                if pieces.len() > 1 && pieces[0] == "limits" {
                    lim.push(entry);
                } else {
                    req.push(entry);
                }
            }
            vec![n, req.join(", ").into(), lim.join(", ").into(), a]
        }
        PrintKind::Lease => vec![n, s(o, &["spec", "holderIdentity"]).into(), a],
        PrintKind::WebhookConfiguration => vec![n, (arr(o, &["webhooks"]).len() as i64).into(), a],
        PrintKind::CsiNode => vec![n, (arr(o, &["spec", "drivers"]).len() as i64).into(), a],
        PrintKind::RuntimeClass => vec![n, s(o, &["handler"]).into(), a],
        PrintKind::PriorityClass => vec![
            n,
            int(o, &["value"]).into(),
            boolean(o, &["globalDefault"]).into(),
            a,
            s(o, &["preemptionPolicy"]).into(),
        ],
        PrintKind::StorageClass => {
            let mut nm = s(o, &["metadata", "name"]).to_string();
            let ann = |k: &str| s(o, &["metadata", "annotations", k]).to_string();
            if ann("storageclass.kubernetes.io/is-default-class") == "true"
                || ann("storageclass.beta.kubernetes.io/is-default-class") == "true"
            {
                nm.push_str(" (default)");
            }
            vec![
                nm.into(),
                s(o, &["provisioner"]).into(),
                str_or(s(o, &["reclaimPolicy"]), "Delete").into(),
                str_or(s(o, &["volumeBindingMode"]), "Immediate").into(),
                boolean(o, &["allowVolumeExpansion"]).into(),
                a,
            ]
        }
    };
    (cells, None)
}

/// A `resource.Quantity` cell: printed as stored; a missing quantity is the zero Quantity, `"0"`.
/// UNVERIFIED: Go re-canonicalises (`Quantity.String()`), e.g. `1000m` -> `1`.
fn quantity(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Number(x)) => x.to_string(),
        _ => "0".into(),
    }
}

/// `helper.GetAccessModesAsString`.
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|x| x.as_str() == Some(m));
    let mut out = Vec::new();
    for (m, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if has(m) {
            out.push(short);
        }
    }
    out.join(",")
}

/// `formatHosts` (Ingress).
fn format_hosts(rules: &[Value]) -> String {
    let max = 3;
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for r in rules {
        if list.len() == max {
            more = true;
        }
        let h = s(r, &["host"]);
        if !more && !h.is_empty() {
            list.push(h);
        }
    }
    if list.is_empty() {
        return "*".into();
    }
    let ret = list.join(",");
    if more {
        return format!("{} + {} more...", ret, rules.len() - max);
    }
    ret
}

/// `loadBalancerStatusStringer` / `ingressLoadBalancerStatusStringer` with `wide = true` (no clipping).
fn lb_status(ingress: &[Value]) -> String {
    let mut set: Vec<String> = Vec::new();
    for i in ingress {
        let ip = s(i, &["ip"]);
        let host = s(i, &["hostname"]);
        let v = if !ip.is_empty() { ip } else { host };
        if !v.is_empty() {
            set.push(v.to_string());
        }
    }
    set.sort();
    set.dedup();
    set.join(",")
}

fn print_service(o: &Value, n: Value, a: Value) -> Vec<Value> {
    let svc_type = s(o, &["spec", "type"]);
    let cluster_ips = arr(o, &["spec", "clusterIPs"]);
    let internal_ip = match cluster_ips.first().and_then(Value::as_str) {
        Some(ip) => ip.to_string(),
        // v1 -> internal conversion fills clusterIPs from clusterIP.
        None => str_or(s(o, &["spec", "clusterIP"]), "<none>"),
    };
    let external_ips: Vec<&str> = arr(o, &["spec", "externalIPs"])
        .iter()
        .map(|v| v.as_str().unwrap_or(""))
        .collect();
    let external = match svc_type {
        "ClusterIP" | "NodePort" => {
            if external_ips.is_empty() {
                "<none>".to_string()
            } else {
                external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            let lb = lb_status(arr(o, &["status", "loadBalancer", "ingress"]));
            if !external_ips.is_empty() {
                let mut results: Vec<&str> = Vec::new();
                if !lb.is_empty() {
                    results.extend(lb.split(','));
                }
                results.extend(external_ips.iter());
                results.join(",")
            } else if !lb.is_empty() {
                lb
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => s(o, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = arr(o, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = int(p, &["port"]);
            let proto = s(p, &["protocol"]);
            let node_port = int(p, &["nodePort"]);
            if node_port > 0 {
                format!("{port}:{node_port}/{proto}")
            } else {
                format!("{port}/{proto}")
            }
        })
        .collect();
    let ports = str_or(&ports.join(","), "<none>");
    vec![
        n,
        svc_type.into(),
        internal_ip.into(),
        external.into(),
        ports.into(),
        a,
        format_labels(get(o, &["spec", "selector"])).into(),
    ]
}

/// `formatEndpoints(endpoints, nil)`.
fn format_endpoints(o: &Value) -> String {
    let subsets = arr(o, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".into();
    }
    let max = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ss in subsets {
        let addrs = arr(ss, &["addresses"]);
        let ports = arr(ss, &["ports"]);
        if ports.is_empty() {
            count += addrs.len();
            for a in addrs {
                if list.len() == max {
                    more = true;
                    break;
                }
                list.push(s(a, &["ip"]).to_string());
            }
            continue;
        }
        for p in ports {
            count += addrs.len();
            for a in addrs {
                if list.len() == max {
                    more = true;
                    break;
                }
                let ip = s(a, &["ip"]);
                let port = int(p, &["port"]);
                if ip.contains(':') {
                    list.push(format!("[{ip}]:{port}"));
                } else {
                    list.push(format!("{ip}:{port}"));
                }
            }
        }
    }
    let ret = list.join(",");
    if more {
        return format!("{} + {} more...", ret, count - max);
    }
    ret
}

fn print_node(o: &Value, n: Value, a: Value) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    // conditionMap keeps the last condition of each type.
    if let Some(c) = arr(o, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| s(c, &["type"]) == "Ready")
    {
        if s(c, &["status"]) == "True" {
            status.push("Ready".into());
        } else {
            status.push("NotReady".into());
        }
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if boolean(o, &["spec", "unschedulable"]) {
        status.push("SchedulingDisabled".into());
    }
    let mut roles: Vec<String> = Vec::new();
    if let Some(labels) = get(o, &["metadata", "labels"]).and_then(Value::as_object) {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.push(role.to_string());
                }
            } else if k == "kubernetes.io/role" {
                let v = v.as_str().unwrap_or("");
                if !v.is_empty() {
                    roles.push(v.to_string());
                }
            }
        }
    }
    roles.sort();
    roles.dedup();
    let roles = str_or(&roles.join(","), "<none>");
    let addr = |t: &str| {
        arr(o, &["status", "addresses"])
            .iter()
            .find(|x| s(x, &["type"]) == t)
            .map(|x| s(x, &["address"]).to_string())
            .unwrap_or_else(|| "<none>".into())
    };
    let info = |k: &str| str_or(s(o, &["status", "nodeInfo", k]), "<unknown>");
    vec![
        n,
        status.join(",").into(),
        roles.into(),
        a,
        s(o, &["status", "nodeInfo", "kubeletVersion"]).into(),
        addr("InternalIP").into(),
        addr("ExternalIP").into(),
        info("osImage").into(),
        info("kernelVersion").into(),
        info("containerRuntimeVersion").into(),
    ]
}

/// `printEvent` (wide). events.k8s.io/v1 objects are read through the field mapping of the
/// internal conversion (`regarding`, `note`, `deprecated*`). UNVERIFIED for events.k8s.io.
fn print_event(o: &Value, group: &str, n: Value, now: DateTime<Utc>) -> Vec<Value> {
    let ev = group == "events.k8s.io";
    let f = |core: &'static str, new: &'static str| if ev { new } else { core };
    let first_ts = s(o, &[f("firstTimestamp", "deprecatedFirstTimestamp")]);
    let last_ts = s(o, &[f("lastTimestamp", "deprecatedLastTimestamp")]);
    let first = if parse_time(first_ts).is_some() {
        since(first_ts, now)
    } else {
        since(s(o, &["eventTime"]), now)
    };
    let mut last = if parse_time(last_ts).is_some() {
        since(last_ts, now)
    } else {
        first.clone()
    };
    let mut count = int(o, &[f("count", "deprecatedCount")]);
    if let Some(series) = get(o, &["series"]) {
        last = since(s(series, &["lastObservedTime"]), now);
        count = int(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let involved = f("involvedObject", "regarding");
    let kind = s(o, &[involved, "kind"]).to_lowercase();
    let obj_name = s(o, &[involved, "name"]);
    let target = if obj_name.is_empty() {
        kind
    } else {
        format!("{kind}/{obj_name}")
    };
    let src = f("source", "deprecatedSource");
    let component = str_or(s(o, &[src, "component"]), s(o, &["reportingController"]));
    let host = str_or(s(o, &[src, "host"]), s(o, &["reportingInstance"]));
    let source = if host.is_empty() {
        component
    } else {
        format!("{component}, {host}")
    };
    vec![
        last.into(),
        s(o, &["type"]).into(),
        s(o, &["reason"]).into(),
        target.into(),
        s(o, &[involved, "fieldPath"]).into(),
        source.into(),
        s(o, &[f("message", "note")]).trim().into(),
        first.into(),
        count.into(),
        n,
    ]
}

fn print_job(o: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let succeeded = int(o, &["status", "succeeded"]);
    let completions = match get(o, &["spec", "completions"]) {
        Some(_) => format!("{}/{}", succeeded, int(o, &["spec", "completions"])),
        None => {
            let par = int(o, &["spec", "parallelism"]);
            if par > 1 {
                format!("{succeeded}/1 of {par}")
            } else {
                format!("{succeeded}/1")
            }
        }
    };
    let start = get(o, &["status", "startTime"])
        .and_then(Value::as_str)
        .and_then(parse_time);
    let done = get(o, &["status", "completionTime"])
        .and_then(Value::as_str)
        .and_then(parse_time);
    let job_duration = match (start, done) {
        (None, _) => String::new(),
        (Some(st), None) => duration::human_duration(now - st),
        (Some(st), Some(c)) => duration::human_duration(c - st),
    };
    let cond = |t: &str| {
        arr(o, &["status", "conditions"])
            .iter()
            .find(|c| s(c, &["type"]) == t)
            .map(|c| s(c, &["status"]) == "True")
            .unwrap_or(false)
    };
    let status = if cond("Complete") {
        "Complete"
    } else if cond("Failed") {
        "Failed"
    } else if get(o, &["metadata", "deletionTimestamp"]).is_some() {
        "Terminating"
    } else if cond("Suspended") {
        "Suspended"
    } else if cond("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = layout_containers(arr(o, &["spec", "template", "spec", "containers"]));
    vec![
        name(o),
        status.into(),
        completions.into(),
        job_duration.into(),
        age(o, now),
        names.into(),
        images.into(),
        format_label_selector(get(o, &["spec", "selector"])).into(),
    ]
}

/// `formatHPAMetrics`; autoscaling/v1 objects are read through the v1 -> internal conversion
/// (`targetCPUUtilizationPercentage` becomes a cpu Utilization metric). UNVERIFIED for v1.
fn format_hpa_metrics(o: &Value) -> String {
    let mut specs: Vec<Value> = arr(o, &["spec", "metrics"]).to_vec();
    let mut statuses: Vec<Value> = arr(o, &["status", "currentMetrics"]).to_vec();
    if specs.is_empty() {
        if let Some(t) = get(o, &["spec", "targetCPUUtilizationPercentage"]) {
            specs.push(json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": t}}}));
            if let Some(c) = get(o, &["status", "currentCPUUtilizationPercentage"]) {
                statuses = vec![
                    json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": c}}}),
                ];
            }
        }
    }
    if specs.is_empty() {
        return "<none>".into();
    }
    let unknown = || "<unknown>".to_string();
    let mut list: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let st = statuses.get(i);
        let sv = |k: &str, p: &[&str]| -> Option<String> {
            let base = get(st?, &[k])?;
            get(base, p).map(|v| quantity(Some(v)))
        };
        let item = match s(spec, &["type"]) {
            t @ ("External" | "Object") => {
                let k = if t == "External" {
                    "external"
                } else {
                    "object"
                };
                if get(spec, &[k, "target", "averageValue"]).is_some() {
                    let cur = sv(k, &["current", "averageValue"]).unwrap_or_else(unknown);
                    format!(
                        "{}/{} (avg)",
                        cur,
                        quantity(get(spec, &[k, "target", "averageValue"]))
                    )
                } else {
                    let cur = st
                        .and_then(|x| get(x, &[k]))
                        .map(|b| quantity(get(b, &["current", "value"])))
                        .unwrap_or_else(unknown);
                    format!("{}/{}", cur, quantity(get(spec, &[k, "target", "value"])))
                }
            }
            "Pods" => {
                let cur = st
                    .and_then(|x| get(x, &["pods"]))
                    .map(|b| quantity(get(b, &["current", "averageValue"])))
                    .unwrap_or_else(unknown);
                format!(
                    "{}/{}",
                    cur,
                    quantity(get(spec, &["pods", "target", "averageValue"]))
                )
            }
            t @ ("Resource" | "ContainerResource") => {
                let k = if t == "Resource" {
                    "resource"
                } else {
                    "containerResource"
                };
                let rname = s(spec, &[k, "name"]);
                if get(spec, &[k, "target", "averageValue"]).is_some() {
                    let cur = st
                        .and_then(|x| get(x, &[k]))
                        .map(|b| quantity(get(b, &["current", "averageValue"])))
                        .unwrap_or_else(unknown);
                    format!(
                        "{}: {}/{}",
                        rname,
                        cur,
                        quantity(get(spec, &[k, "target", "averageValue"]))
                    )
                } else {
                    let cur = st
                        .and_then(|x| get(x, &[k, "current", "averageUtilization"]))
                        .map(|v| format!("{}%", go_sprint(v)))
                        .unwrap_or_else(unknown);
                    let target = get(spec, &[k, "target", "averageUtilization"])
                        .map(|v| format!("{}%", go_sprint(v)))
                        .unwrap_or_else(|| "<auto>".into());
                    format!("{rname}: {cur}/{target}")
                }
            }
            _ => "<unknown type>".into(),
        };
        list.push(item);
    }
    let max = 2;
    let count = list.len();
    if count > max {
        list.truncate(max);
        return format!("{} + {} more...", list.join(", "), count - max);
    }
    list.join(", ")
}

/// `printPod` (wide), including the `Completed` row conditions.
fn print_pod(o: &Value, now: DateTime<Utc>) -> (Vec<Value>, Option<Value>) {
    let containers = arr(o, &["spec", "containers"]);
    let init_containers = arr(o, &["spec", "initContainers"]);
    let is_restartable = |cname: &str| {
        init_containers
            .iter()
            .find(|c| s(c, &["name"]) == cname)
            .map(|c| s(c, &["restartPolicy"]) == "Always")
            .unwrap_or(false)
    };
    let mut total = containers.len() as i64;
    total += init_containers
        .iter()
        .filter(|c| s(c, &["restartPolicy"]) == "Always")
        .count() as i64;
    let mut restarts: i64 = 0;
    let mut restartable_restarts: i64 = 0;
    let mut ready: i64 = 0;
    let mut last_restart: Option<DateTime<Utc>> = None;
    let mut last_restartable_restart: Option<DateTime<Utc>> = None;
    let phase = s(o, &["status", "phase"]);
    let mut reason = str_or(s(o, &["status", "reason"]), phase);
    for c in arr(o, &["status", "conditions"]) {
        if s(c, &["type"]) == "PodScheduled" && s(c, &["reason"]) == "SchedulingGated" {
            reason = "SchedulingGated".into();
        }
    }
    let conditions = match phase {
        "Succeeded" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}]),
        ),
        "Failed" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]),
        ),
        _ => None,
    };
    let later = |cur: Option<DateTime<Utc>>, t: Option<DateTime<Utc>>| match (cur, t) {
        (Some(c), Some(t)) if c < t => Some(t),
        (None, Some(t)) => Some(t),
        (c, _) => c,
    };
    let term_finished = |cs: &Value| {
        get(cs, &["lastState", "terminated"]).map(|t| parse_time(s(t, &["finishedAt"])))
    };
    let mut initializing = false;
    let init_statuses = arr(o, &["status", "initContainerStatuses"]);
    for (i, cs) in init_statuses.iter().enumerate() {
        restarts += int(cs, &["restartCount"]);
        if let Some(t) = term_finished(cs) {
            last_restart = later(last_restart, t);
        }
        let restartable = is_restartable(s(cs, &["name"]));
        if restartable {
            restartable_restarts += int(cs, &["restartCount"]);
            if let Some(t) = term_finished(cs) {
                last_restartable_restart = later(last_restartable_restart, t);
            }
        }
        let terminated = get(cs, &["state", "terminated"]);
        let waiting = get(cs, &["state", "waiting"]);
        if terminated.is_some() && int(cs, &["state", "terminated", "exitCode"]) == 0 {
            continue;
        } else if restartable && get(cs, &["started"]).and_then(Value::as_bool) == Some(true) {
            if boolean(cs, &["ready"]) {
                ready += 1;
            }
            continue;
        } else if let Some(t) = terminated {
            let r = s(t, &["reason"]);
            reason = if r.is_empty() {
                let sig = int(t, &["signal"]);
                if sig != 0 {
                    format!("Init:Signal:{sig}")
                } else {
                    format!("Init:ExitCode:{}", int(t, &["exitCode"]))
                }
            } else {
                format!("Init:{r}")
            };
            initializing = true;
        } else if waiting.is_some()
            && !s(cs, &["state", "waiting", "reason"]).is_empty()
            && s(cs, &["state", "waiting", "reason"]) != "PodInitializing"
        {
            reason = format!("Init:{}", s(cs, &["state", "waiting", "reason"]));
            initializing = true;
        } else {
            reason = format!("Init:{}/{}", i, init_containers.len());
            initializing = true;
        }
        break;
    }
    let initialized = arr(o, &["status", "conditions"])
        .iter()
        .any(|c| s(c, &["type"]) == "Initialized" && s(c, &["status"]) == "True");
    if !initializing || initialized {
        restarts = restartable_restarts;
        last_restart = last_restartable_restart;
        let mut has_running = false;
        for cs in arr(o, &["status", "containerStatuses"]).iter().rev() {
            restarts += int(cs, &["restartCount"]);
            if let Some(t) = term_finished(cs) {
                last_restart = later(last_restart, t);
            }
            let wr = s(cs, &["state", "waiting", "reason"]);
            let term = get(cs, &["state", "terminated"]);
            if get(cs, &["state", "waiting"]).is_some() && !wr.is_empty() {
                reason = wr.to_string();
            } else if let Some(t) = term.filter(|t| !s(t, &["reason"]).is_empty()) {
                reason = s(t, &["reason"]).to_string();
            } else if let Some(t) = term {
                let sig = int(t, &["signal"]);
                reason = if sig != 0 {
                    format!("Signal:{sig}")
                } else {
                    format!("ExitCode:{}", int(t, &["exitCode"]))
                };
            } else if boolean(cs, &["ready"]) && get(cs, &["state", "running"]).is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = arr(o, &["status", "conditions"])
                .iter()
                .any(|c| s(c, &["type"]) == "Ready" && s(c, &["status"]) == "True");
            reason = if pod_ready {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }
    let deleting = get(o, &["metadata", "deletionTimestamp"]).is_some();
    if deleting && s(o, &["status", "reason"]) == "NodeLost" {
        reason = "Unknown".into();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".into();
    }
    let restarts_str = match last_restart {
        Some(t) if restarts != 0 => format!("{} ({} ago)", restarts, since(&t.to_rfc3339(), now)),
        _ => restarts.to_string(),
    };
    let pod_ip = arr(o, &["status", "podIPs"])
        .first()
        .map(|p| s(p, &["ip"]).to_string())
        .unwrap_or_else(|| s(o, &["status", "podIP"]).to_string());
    let gates = arr(o, &["spec", "readinessGates"]);
    let readiness = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let conds = arr(o, &["status", "conditions"]);
        let t = gates
            .iter()
            .filter(|g| {
                let ct = s(g, &["conditionType"]);
                conds
                    .iter()
                    .find(|c| s(c, &["type"]) == ct)
                    .map(|c| s(c, &["status"]) == "True")
                    .unwrap_or(false)
            })
            .count();
        format!("{}/{}", t, gates.len())
    };
    let cells = vec![
        name(o),
        format!("{ready}/{total}").into(),
        reason.into(),
        restarts_str.into(),
        age(o, now),
        str_or(&pod_ip, "<none>").into(),
        str_or(s(o, &["spec", "nodeName"]), "<none>").into(),
        str_or(s(o, &["status", "nominatedNodeName"]), "<none>").into(),
        readiness.into(),
    ];
    (cells, conditions)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden Table recordings (real kube-apiserver 1.36, `/work/shared/golden/goldens/visible`):
    /// per-resource columnDefinitions, and per case the objects the server held (rebuilt from the
    /// case setup with the server's defaults) and the expected cells. `<age>` / `<ip>` are normalised.
    const GOLDEN: &str = r####"{"columns":{"secrets":[{"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names","priority":0},{"name":"Type","type":"string","format":"","description":"Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types","priority":0},{"name":"Data","type":"string","format":"","description":"Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4","priority":0},{"name":"Age","type":"string","format":"","description":"CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata","priority":0}],"configmaps":[{"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names","priority":0},{"name":"Data","type":"string","format":"","description":"Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.","priority":0},{"name":"Age","type":"string","format":"","description":"CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata","priority":0}],"deployments":[{"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names","priority":0},{"name":"Ready","type":"string","format":"","description":"Number of the pod with ready state","priority":0},{"name":"Up-to-date","type":"string","format":"","description":"Total number of non-terminating pods targeted by this deployment that have the desired template spec.","priority":0},{"name":"Available","type":"string","format":"","description":"Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.","priority":0},{"name":"Age","type":"string","format":"","description":"CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata","priority":0},{"name":"Containers","type":"string","format":"","description":"Names of each container in the template.","priority":1},{"name":"Images","type":"string","format":"","description":"Images referenced by each container in the template.","priority":1},{"name":"Selector","type":"string","format":"","description":"Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.","priority":1}],"endpointslices":[{"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names","priority":0},{"name":"AddressType","type":"string","format":"","description":"addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name. (Deprecated) The EndpointSlice controller only generates, and kube-proxy only processes, slices of addressType \"IPv4\" and \"IPv6\". No semantics are defined for the \"FQDN\" type.","priority":0},{"name":"Ports","type":"string","format":"","description":"ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. Each slice may include a maximum of 100 ports. Services always have at least 1 port, so EndpointSlices generated by the EndpointSlice controller will likewise always have at least 1 port. EndpointSlices used for other purposes may have an empty ports list.","priority":0},{"name":"Endpoints","type":"string","format":"","description":"endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.","priority":0},{"name":"Age","type":"string","format":"","description":"CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata","priority":0}],"pods":[{"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names","priority":0},{"name":"Ready","type":"string","format":"","description":"The aggregate readiness state of this pod for accepting traffic.","priority":0},{"name":"Status","type":"string","format":"","description":"The aggregate status of the containers in this pod.","priority":0},{"name":"Restarts","type":"string","format":"","description":"The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.","priority":0},{"name":"Age","type":"string","format":"","description":"CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata","priority":0},{"name":"IP","type":"string","format":"","description":"podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.","priority":1},{"name":"Node","type":"string","format":"","description":"NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename","priority":1},{"name":"Nominated Node","type":"string","format":"","description":"nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.","priority":1},{"name":"Readiness Gates","type":"string","format":"","description":"If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates","priority":1}],"services":[{"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names","priority":0},{"name":"Type","type":"string","format":"","description":"type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types","priority":0},{"name":"Cluster-IP","type":"string","format":"","description":"clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies","priority":0},{"name":"External-IP","type":"string","format":"","description":"externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.","priority":0},{"name":"Port(s)","type":"string","format":"","description":"The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies","priority":0},{"name":"Age","type":"string","format":"","description":"CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata","priority":0},{"name":"Selector","type":"string","format":"","description":"Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/","priority":1}]},"cases":[{"id":"s7-35","group":"","resource":"secrets","include":"Metadata","objects":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"type":"Opaque","data":{"k":"dg=="}},{"apiVersion":"v1","kind":"Secret","metadata":{"name":"b","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"type":"Opaque","data":{"k":"dg=="}}],"tables":[{"columns":true,"cells":[["a","Opaque",1,"<age>"],["b","Opaque",1,"<age>"]],"objkinds":["PartialObjectMetadata","PartialObjectMetadata"]}]},{"id":"s7-36a","group":"","resource":"secrets","include":"None","objects":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"type":"Opaque","data":{"k":"dg=="}}],"tables":[{"columns":true,"cells":[["a","Opaque",1,"<age>"]],"objkinds":[null]}]},{"id":"s7-36b","group":"","resource":"secrets","include":"Object","objects":[{"kind":"Secret","apiVersion":"v1","metadata":{"name":"a","namespace":"golden-s7-36b","uid":"u","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z","managedFields":[]},"data":{"k":"dg=="},"type":"Opaque"}],"tables":[{"columns":true,"cells":[["a","Opaque",1,"<age>"]],"objkinds":["Secret"]}]},{"id":"s7-42","group":"","resource":"secrets","include":"Metadata","objects":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"c","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"type":"Opaque","data":{"k":"dg=="}},{"apiVersion":"v1","kind":"Secret","metadata":{"name":"d","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"type":"Opaque","data":{"k":"dg=="}},{"apiVersion":"v1","kind":"Secret","metadata":{"name":"c","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"type":"Opaque","data":{"k":"dg=="}}],"tables":[{"columns":true,"cells":[["c","Opaque",1,"<age>"]],"objkinds":["PartialObjectMetadata"]},{"columns":false,"cells":[["d","Opaque",1,"<age>"]],"objkinds":["PartialObjectMetadata"]},{"columns":false,"cells":[["c","Opaque",1,"<age>"]],"objkinds":["PartialObjectMetadata"]}]},{"id":"table-configmaps","group":"","resource":"configmaps","include":"Metadata","objects":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"data":{"k":"v"}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"data":{"k":"v"}}],"tables":[{"columns":true,"cells":[["a",1,"<age>"],["b",1,"<age>"]],"objkinds":["PartialObjectMetadata","PartialObjectMetadata"]}]},{"id":"table-deployments","group":"apps","resource":"deployments","include":"Metadata","objects":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d1","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"d1"}},"template":{"metadata":{"labels":{"app":"d1"}},"spec":{"containers":[{"name":"c","image":"registry.example/nginx:1.27"}]}}},"status":{}}],"tables":[{"columns":true,"cells":[["d1","0/1",0,0,"<age>","c","registry.example/nginx:1.27","app=d1"]],"objkinds":["PartialObjectMetadata"]}]},{"id":"table-endpointslices","group":"discovery.k8s.io","resource":"endpointslices","include":"Metadata","objects":[{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"e1","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"addressType":"IPv4","endpoints":[{"addresses":["10.1.2.3"],"conditions":{"ready":true}}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}],"tables":[{"columns":true,"cells":[["e1","IPv4","8080","10.1.2.3","<age>"]],"objkinds":["PartialObjectMetadata"]}]},{"id":"table-kubectl-accept","group":"","resource":"configmaps","include":"Metadata","objects":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"data":{"k":"v"}}],"tables":[{"columns":true,"cells":[["a",1,"<age>"]],"objkinds":["PartialObjectMetadata"]}]},{"id":"table-pods-object","group":"","resource":"pods","include":"Object","objects":[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"golden-table-pods-object","uid":"u","resourceVersion":"100","generation":1,"creationTimestamp":"2025-01-01T00:00:00Z","managedFields":[]},"spec":{"containers":[{"name":"c","image":"registry.example/busybox:1.36","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","automountServiceAccountToken":false,"securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Pending","qosClass":"BestEffort"}}],"tables":[{"columns":true,"cells":[["p","0/1","Pending","0","<age>","<none>","<none>","<none>","<none>"]],"objkinds":["Pod"]}]},{"id":"table-pods","group":"","resource":"pods","include":"Metadata","objects":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"spec":{"automountServiceAccountToken":false,"containers":[{"name":"c","image":"registry.example/busybox:1.36"}]},"status":{"phase":"Pending"}}],"tables":[{"columns":true,"cells":[["p","0/1","Pending","0","<age>","<none>","<none>","<none>","<none>"]],"objkinds":["PartialObjectMetadata"]}]},{"id":"table-services","group":"","resource":"services","include":"Metadata","objects":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s1","namespace":"ns","uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"100","creationTimestamp":"2025-01-01T00:00:00Z"},"spec":{"selector":{"app":"s1"},"ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}],"type":"ClusterIP","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"]}}],"tables":[{"columns":true,"cells":[["s1","ClusterIP","<ip>","<none>","80/TCP","<age>","app=s1"]],"objkinds":["PartialObjectMetadata"]}]}]}"####;

    fn now() -> DateTime<Utc> {
        parse_time("2025-01-01T00:01:05Z").unwrap()
    }

    fn is_age(v: &Value) -> bool {
        let Some(s) = v.as_str() else { return false };
        s == "<unknown>"
            || (!s.is_empty()
                && s.split_inclusive(|c: char| "smhdy".contains(c))
                    .all(|p| p.len() > 1 && p[..p.len() - 1].chars().all(|c| c.is_ascii_digit())))
    }

    #[test]
    fn golden_tables() {
        let g: Value = serde_json::from_str(GOLDEN).unwrap();
        let mut checked = 0;
        for case in g["cases"].as_array().unwrap() {
            let id = case["id"].as_str().unwrap();
            let group = case["group"].as_str().unwrap();
            let resource = case["resource"].as_str().unwrap();
            let include = IncludeObject::parse(case["include"].as_str()).unwrap();
            let objects = case["objects"].as_array().unwrap();
            let tables = case["tables"].as_array().unwrap();
            for (i, want) in tables.iter().enumerate() {
                let objs: &[Value] = if tables.len() > 1 {
                    std::slice::from_ref(&objects[i])
                } else {
                    objects
                };
                let with_columns = want["columns"].as_bool().unwrap();
                let t = table(
                    group,
                    resource,
                    None,
                    objs,
                    include,
                    "v1",
                    json!({"resourceVersion": "100"}),
                    with_columns,
                    now(),
                );
                assert_eq!(t["kind"], "Table");
                assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
                if with_columns {
                    assert_eq!(
                        t["columnDefinitions"], g["columns"][resource],
                        "{id}: columnDefinitions"
                    );
                } else {
                    assert!(t["columnDefinitions"].is_null(), "{id}");
                }
                let rows = t["rows"].as_array().unwrap();
                let want_cells = want["cells"].as_array().unwrap();
                assert_eq!(rows.len(), want_cells.len(), "{id}");
                for (row, (wc, wk)) in rows
                    .iter()
                    .zip(want_cells.iter().zip(want["objkinds"].as_array().unwrap()))
                {
                    let got = row["cells"].as_array().unwrap();
                    let wc = wc.as_array().unwrap();
                    assert_eq!(got.len(), wc.len(), "{id}: {got:?}");
                    for (gc, w) in got.iter().zip(wc) {
                        match w.as_str() {
                            Some("<age>") => assert!(is_age(gc), "{id}: age {gc}"),
                            Some("<ip>") => assert!(
                                gc.as_str().unwrap().parse::<std::net::IpAddr>().is_ok(),
                                "{id}: ip {gc}"
                            ),
                            _ => assert_eq!(gc, w, "{id}: cells {got:?}"),
                        }
                    }
                    assert_eq!(
                        row["object"].get("kind").and_then(Value::as_str),
                        wk.as_str(),
                        "{id}: object kind"
                    );
                    if include == IncludeObject::Metadata {
                        assert_eq!(row["object"]["apiVersion"], "meta.k8s.io/v1");
                        assert_eq!(row["object"]["metadata"]["name"], row["cells"][0], "{id}");
                    }
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 13);
    }

    #[test]
    fn printers_sorted_unique_and_well_formed() {
        for w in printers::PRINTERS.windows(2) {
            assert!(
                (w[0].group, w[0].resource) < (w[1].group, w[1].resource),
                "{} {}",
                w[0].resource,
                w[1].resource
            );
        }
        for p in printers::PRINTERS {
            assert!(printers::lookup(p.group, p.resource).is_some());
            assert_eq!(
                p.columns.iter().filter(|c| c.format == "name").count(),
                1,
                "{}",
                p.resource
            );
            for c in p.columns {
                assert!(
                    ["string", "integer", "boolean", "number", "date"].contains(&c.type_),
                    "{}",
                    p.resource
                );
                assert!(c.priority == 0 || c.priority == 1);
            }
            // the cell count of the printer matches the column count, even for an empty object
            let (cells, _) = cells_for(p.group, p.resource, None, &json!({}), now());
            assert_eq!(cells.len(), p.columns.len(), "{}", p.resource);
        }
        for (g, r) in [
            ("", "pods"),
            ("", "services"),
            ("", "configmaps"),
            ("", "secrets"),
            ("", "namespaces"),
            ("", "nodes"),
            ("", "events"),
            ("", "serviceaccounts"),
            ("", "endpoints"),
            ("discovery.k8s.io", "endpointslices"),
            ("", "persistentvolumeclaims"),
            ("", "persistentvolumes"),
            ("apps", "deployments"),
            ("apps", "replicasets"),
            ("apps", "statefulsets"),
            ("apps", "daemonsets"),
            ("batch", "jobs"),
            ("batch", "cronjobs"),
            ("coordination.k8s.io", "leases"),
            ("networking.k8s.io", "ingresses"),
            ("autoscaling", "horizontalpodautoscalers"),
            ("", "replicationcontrollers"),
        ] {
            assert!(has_printer(g, r), "{g}/{r}");
        }
        assert!(!has_printer(
            "apiextensions.k8s.io",
            "customresourcedefinitions"
        ));
        assert!(!has_printer("rbac.authorization.k8s.io", "roles"));
    }

    #[test]
    fn include_object_parse() {
        assert_eq!(IncludeObject::parse(None), Ok(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse(Some("")), Ok(IncludeObject::Metadata));
        assert_eq!(
            IncludeObject::parse(Some("Metadata")),
            Ok(IncludeObject::Metadata)
        );
        assert_eq!(
            IncludeObject::parse(Some("Object")),
            Ok(IncludeObject::Object)
        );
        assert_eq!(IncludeObject::parse(Some("None")), Ok(IncludeObject::None));
        assert_eq!(
            IncludeObject::parse(Some("foo")).unwrap_err(),
            "Unable to convert to Table as requested: includeObject: Invalid value: \"foo\": must be 'Metadata', 'Object', 'None', or empty"
        );
        assert!(IncludeObject::parse(Some("metadata")).is_err());
    }

    #[test]
    fn default_convertor_and_empty_lists() {
        let crd = json!({"metadata": {"name": "foos.example.com", "creationTimestamp": "2025-01-01T00:00:00Z"}});
        let t = table(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            None,
            &[crd],
            IncludeObject::None,
            "v1",
            json!({"resourceVersion": "5"}),
            true,
            now(),
        );
        let cols = t["columnDefinitions"].as_array().unwrap();
        assert_eq!(cols[0]["name"], "Name");
        assert_eq!(cols[0]["description"], META_NAME);
        assert_eq!(
            cols[1],
            json!({"name": "Created At", "type": "date", "format": "", "description": META_CREATION_TIMESTAMP, "priority": 0})
        );
        assert_eq!(
            t["rows"][0]["cells"],
            json!(["foos.example.com", "2025-01-01T00:00:00Z"])
        );
        assert!(t["rows"][0]["object"].is_null());
        let empty = table(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            None,
            &[],
            IncludeObject::Metadata,
            "v1",
            json!({}),
            true,
            now(),
        );
        assert!(empty["rows"].is_null());
        let empty = table(
            "",
            "secrets",
            None,
            &[],
            IncludeObject::Metadata,
            "v1",
            json!({}),
            true,
            now(),
        );
        assert_eq!(empty["rows"], json!([]));
    }

    #[test]
    fn custom_resource_columns() {
        let pc = json!([
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas", "description": "r"},
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase", "priority": 1},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
            {"name": "First", "type": "string", "jsonPath": ".spec.items[0].name"}
        ]);
        let cr = json!({"metadata": {"name": "x", "creationTimestamp": "2025-01-01T00:00:00Z"}, "spec": {"replicas": 3, "items": [{"name": "a"}]}});
        let cols = column_definitions("example.com", "foos", Some(&pc));
        assert_eq!(cols.len(), 5);
        assert_eq!(
            cols[2],
            json!({"name": "Phase", "type": "string", "format": "", "description": "", "priority": 1})
        );
        let r = rows(
            "example.com",
            "foos",
            Some(&pc),
            std::slice::from_ref(&cr),
            IncludeObject::None,
            "v1",
            now(),
        );
        assert_eq!(r[0]["cells"], json!(["x", 3, null, "65s", "a"]));
        let none = json!([]);
        let cols = column_definitions("example.com", "foos", Some(&none));
        assert_eq!(cols[1]["name"], "Age");
        assert_eq!(cols[1]["type"], "date");
        let empty = table(
            "example.com",
            "foos",
            Some(&none),
            &[],
            IncludeObject::Metadata,
            "v1",
            json!({}),
            true,
            now(),
        );
        assert_eq!(empty["rows"], json!([]));
    }

    #[test]
    fn watch_list_bookmark_row() {
        let bm = json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"resourceVersion": "12345", "annotations": {"k8s.io/initial-events-end": "true"}}});
        let t = bookmark_table("", "secrets", None, &bm, "v1", false, now());
        assert_eq!(t["metadata"], json!({"resourceVersion": "12345"}));
        assert!(t["columnDefinitions"].is_null());
        assert_eq!(t["rows"].as_array().unwrap().len(), 1);
        assert_eq!(t["rows"][0]["cells"], json!(["", "", 0, "<unknown>"]));
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(
            t["rows"][0]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
            "true"
        );
    }

    #[test]
    fn pod_status_logic() {
        let pod = json!({
            "metadata": {"name": "p", "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}], "initContainers": [{"name": "s", "restartPolicy": "Always"}], "nodeName": "n1",
                     "readinessGates": [{"conditionType": "x"}]},
            "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.1"}],
                "conditions": [{"type": "Initialized", "status": "True"}, {"type": "x", "status": "True"}],
                "initContainerStatuses": [{"name": "s", "started": true, "ready": true, "restartCount": 0, "state": {"running": {}}}],
                "containerStatuses": [
                    {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-01T00:00:35Z"}}},
                    {"name": "b", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
                ]}
        });
        let r = rows("", "pods", None, &[pod], IncludeObject::None, "v1", now());
        assert_eq!(
            r[0]["cells"],
            json!([
                "p",
                "2/3",
                "CrashLoopBackOff",
                "2 (30s ago)",
                "65s",
                "10.0.0.1",
                "n1",
                "<none>",
                "1/1"
            ])
        );
        let done = json!({"metadata": {"name": "d"}, "spec": {"containers": []}, "status": {"phase": "Succeeded"}});
        let r = rows("", "pods", None, &[done], IncludeObject::None, "v1", now());
        assert_eq!(r[0]["conditions"][0]["reason"], "Succeeded");
        assert_eq!(r[0]["cells"][4], "<unknown>");
    }

    #[test]
    fn service_and_workload_cells() {
        let svc = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.5",
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}});
        let r = rows(
            "",
            "services",
            None,
            &[svc],
            IncludeObject::None,
            "v1",
            now(),
        );
        assert_eq!(
            r[0]["cells"],
            json!([
                "lb",
                "LoadBalancer",
                "10.0.0.5",
                "1.2.3.4",
                "80:30080/TCP,53/UDP",
                "<unknown>",
                "<none>"
            ])
        );
        let rs = json!({"metadata": {"name": "r"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"b": "2", "a": "1"},
            "matchExpressions": [{"key": "c", "operator": "In", "values": ["y", "x"]}, {"key": "d", "operator": "DoesNotExist"}]}}});
        let r = rows(
            "apps",
            "replicasets",
            None,
            &[rs],
            IncludeObject::None,
            "v1",
            now(),
        );
        assert_eq!(r[0]["cells"][7], "a=1,b=2,c in (x,y),!d");
        let job = json!({"metadata": {"name": "j"}, "spec": {"completions": 3}, "status": {"succeeded": 1,
            "startTime": "2025-01-01T00:00:00Z", "completionTime": "2025-01-01T00:03:02Z", "conditions": [{"type": "Complete", "status": "True"}]}});
        let r = rows(
            "batch",
            "jobs",
            None,
            &[job],
            IncludeObject::None,
            "v1",
            now(),
        );
        assert_eq!(
            r[0]["cells"],
            json!([
                "j",
                "Complete",
                "1/3",
                "3m2s",
                "<unknown>",
                "",
                "",
                "<none>"
            ])
        );
        let ev = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Started", "type": "Normal",
            "message": " hi ", "source": {"component": "kubelet", "host": "n1"}, "firstTimestamp": "2025-01-01T00:00:05Z"});
        let r = rows("", "events", None, &[ev], IncludeObject::None, "v1", now());
        assert_eq!(
            r[0]["cells"],
            json!([
                "60s",
                "Normal",
                "Started",
                "pod/p",
                "",
                "kubelet, n1",
                "hi",
                "60s",
                1,
                "e"
            ])
        );
    }

    #[test]
    fn no_panic_on_odd_shapes() {
        let odd = [
            json!(null),
            json!(1),
            json!("x"),
            json!([]),
            json!({}),
            json!({"metadata": 5, "spec": [], "status": "x"}),
            json!({"metadata": {"name": 3, "creationTimestamp": "garbage", "deletionTimestamp": 1}}),
            json!({"spec": {"containers": [1, null, {"name": 2}], "ports": "x", "selector": {"matchExpressions": [{"operator": "Bad"}]},
                "replicas": 1e300, "metrics": [{"type": "Resource"}, {"type": "External"}, {"type": "Pods"}, {"type": "Object"}, {}]},
                "status": {"containerStatuses": [{"state": {"terminated": {}}}], "initContainerStatuses": [{}, {"state": {"waiting": {"reason": "X"}}}],
                    "conditions": "no", "loadBalancer": {"ingress": [{}]}}, "subsets": [{"addresses": [{}], "ports": [{}]}]}),
            json!({"metadata": {"creationTimestamp": "9999-12-31T23:59:59Z"}, "endpoints": [{"addresses": [1, 2, 3, 4]}], "ports": [{}, {}, {}, {}]}),
        ];
        let custom = json!([{"name": "A", "type": "date", "jsonPath": ".a[5].b"}, {"name": "B", "type": "string", "jsonPath": "{.metadata}"},
            {"name": "C", "type": "number", "jsonPath": "..x[-9]"}, {"name": "D", "type": "integer", "jsonPath": ".a["}]);
        let mut resources: Vec<(&str, &str)> = printers::PRINTERS
            .iter()
            .map(|p| (p.group, p.resource))
            .collect();
        resources.push(("example.com", "foos"));
        resources.push(("rbac.authorization.k8s.io", "roles"));
        for (g, r) in resources {
            for inc in [
                IncludeObject::None,
                IncludeObject::Metadata,
                IncludeObject::Object,
            ] {
                let c = if g == "example.com" {
                    Some(&custom)
                } else {
                    None
                };
                let t = table(g, r, c, &odd, inc, "v1", json!(null), true, now());
                assert_eq!(t["rows"].as_array().unwrap().len(), odd.len());
                let _ = bookmark_table(g, r, c, &odd[0], "v1beta1", true, now());
            }
        }
        let far = DateTime::<Utc>::MAX_UTC;
        let _ = rows("", "pods", None, &odd, IncludeObject::None, "v1", far);
        let _ = rows(
            "",
            "pods",
            None,
            &odd,
            IncludeObject::None,
            "v1",
            DateTime::<Utc>::MIN_UTC,
        );
    }
}
