//! The shape of the generated protobuf schema ([`super::schema_gen`]) and
//! lookups by proto name and by `apiVersion`/`kind`.

use super::schema_gen::{API_VERSIONS, MESSAGES};

/// A field's wire kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `string`.
    String,
    /// `bytes` (base64 in JSON).
    Bytes,
    /// `int32` (varint, sign-extended).
    Int32,
    /// `int64` (varint).
    Int64,
    /// `bool`.
    Bool,
    /// `double` (fixed64).
    Double,
    /// An embedded message: index into [`MESSAGES`].
    Message(u16),
    /// `map<string, string>`.
    MapString,
    /// `map<string, bytes>`.
    MapBytes,
    /// `map<string, Message>`.
    MapMessage(u16),
}

/// How a message looks in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// A JSON object with one property per field.
    Object,
    /// `metav1.Time`: RFC 3339 seconds string; `{seconds, nanos}`.
    Time,
    /// `metav1.MicroTime`: RFC 3339 with microseconds.
    MicroTime,
    /// `metav1.Duration`: Go duration string; `{duration}` in nanoseconds.
    Duration,
    /// `resource.Quantity`: a string; `{string}`.
    Quantity,
    /// `intstr.IntOrString`: a number or a string; `{type, intVal, strVal}`.
    IntOrString,
    /// `runtime.RawExtension`, `metav1.FieldsV1`, apiextensions `JSON`: any JSON
    /// value; `{raw}` holds its JSON bytes.
    RawJson,
    /// `JSONSchemaPropsOrBool`: a bool or a schema.
    PropsOrBool,
    /// `JSONSchemaPropsOrArray`: a schema or an array of schemas.
    PropsOrArray,
    /// `JSONSchemaPropsOrStringArray`: a schema or an array of strings.
    PropsOrStringArray,
    /// A named Go slice type (`ExtraValue []string`): a JSON array; `{items}`.
    ArrayWrapper,
}

/// One field of a message.
#[derive(Debug)]
pub(crate) struct Field {
    /// The JSON property name.
    pub(crate) json: &'static str,
    /// The field number.
    pub(crate) tag: u32,
    /// The wire kind.
    pub(crate) kind: Kind,
    /// `repeated`.
    pub(crate) repeated: bool,
    /// Listed in the OpenAPI `required` list (Go JSON without `omitempty`).
    pub(crate) required: bool,
    /// An embedded Go struct: its fields are the parent's in JSON.
    pub(crate) inline: bool,
}

/// One message.
#[derive(Debug)]
pub(crate) struct Message {
    /// Full proto name (`k8s.io.api.core.v1.Pod`).
    pub(crate) name: &'static str,
    /// Its JSON form.
    pub(crate) form: Form,
    /// Fields by ascending tag.
    pub(crate) fields: &'static [Field],
}

/// The message at an index of [`Kind::Message`].
pub(crate) fn message(idx: u16) -> &'static Message {
    &MESSAGES[usize::from(idx)]
}

/// A message by full proto name.
pub(crate) fn by_name(name: &str) -> Option<&'static Message> {
    MESSAGES
        .binary_search_by(|m| m.name.cmp(name))
        .ok()
        .map(|i| &MESSAGES[i])
}

/// The proto package of an `apiVersion`.
pub(crate) fn package(api_version: &str) -> Option<&'static str> {
    API_VERSIONS
        .iter()
        .find(|(av, _)| *av == api_version)
        .map(|(_, p)| *p)
}

const META_V1: &str = "k8s.io.apimachinery.pkg.apis.meta.v1";

/// The message of an `apiVersion`/`kind` pair: the kind in the group version's
/// package, else a meta/v1 kind registered in every group version (`Status`,
/// `DeleteOptions`, `WatchEvent`, ...), as `metav1.AddToGroupVersion` does.
pub(crate) fn for_kind(api_version: &str, kind: &str) -> Option<&'static Message> {
    if kind.is_empty() {
        return None;
    }
    let pkg = package(api_version)?;
    by_name(&format!("{pkg}.{kind}")).or_else(|| {
        const SHARED: [&str; 9] = [
            "Status",
            "DeleteOptions",
            "CreateOptions",
            "UpdateOptions",
            "PatchOptions",
            "GetOptions",
            "ListOptions",
            "WatchEvent",
            "List",
        ];
        (SHARED.contains(&kind) || pkg == META_V1)
            .then(|| by_name(&format!("{META_V1}.{kind}")))
            .flatten()
    })
}
