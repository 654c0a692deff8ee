//! Label selectors: a byte-for-byte port of `labels.Parse` and `Selector.Matches`.
//!
//! Mirrors `k8s.io/apimachinery/pkg/labels/selector.go` (lexer, parser,
//! `NewRequirement`, `Requirement.Matches`) and the label key/value checks of
//! `k8s.io/apimachinery/pkg/api/validate/content/kube.go` (`IsLabelKey`,
//! `IsLabelValue`) with `content/dns.go` and `content/errors.go`. Error texts
//! are the ones the apiserver returns verbatim as the 400 `Status.message`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::go_quote;

/// The operator of one requirement (`selection.Operator` in Go).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `key in (a,b)`
    In,
    /// `key notin (a,b)`
    NotIn,
    /// `key=value`
    Equals,
    /// `key==value`
    DoubleEquals,
    /// `key!=value`
    NotEquals,
    /// `key>integer`
    GreaterThan,
    /// `key<integer`
    LessThan,
    /// `key`
    Exists,
    /// `!key`
    DoesNotExist,
}

/// One requirement: a key, an operator and its (sorted, de-duplicated) values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// The operator.
    pub operator: Operator,
    /// The values, sorted and unique as Go's `sets.String.List()` gives them.
    pub values: Vec<String>,
}

impl Requirement {
    /// `Requirement.Matches` from `labels/selector.go`.
    fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let got = labels.and_then(|m| m.get(&self.key)).map(label_str);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => match got {
                Some(v) => self.values.contains(&v),
                None => false,
            },
            Operator::NotIn | Operator::NotEquals => match got {
                Some(v) => !self.values.contains(&v),
                None => true,
            },
            Operator::Exists => got.is_some(),
            Operator::DoesNotExist => got.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(have) = got.and_then(|v| v.parse::<i64>().ok()) else {
                    return false;
                };
                let [want] = self.values.as_slice() else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

/// A label value as a string. Label values are always strings on a real
/// server; anything else is rendered as its JSON text.
fn label_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A parsed label selector: the AND of its requirements, sorted by key as
/// `labels.Parse` sorts them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses a selector as labels.Parse does. Err = exactly the message the
    /// apiserver puts in its 400 BadRequest Status.
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut parser = Parser::new(s);
        let mut requirements = parser.parse()?;
        // sort.Sort(ByKey(items)); the order of equal keys does not matter
        // for matching.
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// The selector that matches everything (`labels.Everything()`).
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    /// Whether the selector has no requirement (`Selector.Empty()`).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether the labels match every requirement.
    /// labels = the object's metadata.labels (None when absent).
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Convenience: matches against the `metadata.labels` of a full object.
    pub fn matches_object(&self, obj: &Value) -> bool {
        let labels = obj
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object);
        self.matches(labels)
    }
}

// ---------------------------------------------------------------------------
// Lexer (labels/selector.go: Token, Lexer, string2token)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn string2token(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(ch: u8) -> bool {
    matches!(ch, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special_symbol(ch: u8) -> bool {
    matches!(ch, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Byte-oriented like the Go lexer: a NUL byte reads as end of input,
/// exactly as `Lexer.read` returns 0 for it.
struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn read(&mut self) -> u8 {
        match self.s.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn scan_id_or_keyword(&mut self) -> (Token, String) {
        let mut buffer = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special_symbol(ch) || is_whitespace(ch) {
                self.unread();
                break;
            }
            buffer.push(ch);
        }
        match string2token(&buffer) {
            Some(tok) => (tok, lossy(&buffer)),
            None => (Token::Identifier, lossy(&buffer)),
        }
    }

    fn scan_special_symbol(&mut self) -> (Token, String) {
        let mut last: Option<(Token, String)> = None;
        let mut buffer = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special_symbol(ch) {
                buffer.push(ch);
                if let Some(tok) = string2token(&buffer) {
                    last = Some((tok, lossy(&buffer)));
                } else if last.is_some() {
                    self.unread();
                    break;
                }
            } else {
                self.unread();
                break;
            }
        }
        match last {
            Some(item) => item,
            None => (
                Token::Error,
                format!("error expected: keyword found '{}'", lossy(&buffer)),
            ),
        }
    }

    fn lex(&mut self) -> (Token, String) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            (Token::EndOfString, String::new())
        } else if is_special_symbol(ch) {
            self.unread();
            self.scan_special_symbol()
        } else {
            self.unread();
            self.scan_id_or_keyword()
        }
    }
}

// ---------------------------------------------------------------------------
// Parser (labels/selector.go: Parser, ParserContext)
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    position: usize,
}

impl Parser {
    fn new(s: &str) -> Parser {
        let mut lexer = Lexer {
            s: s.as_bytes(),
            pos: 0,
        };
        let mut items = Vec::new();
        loop {
            let (tok, lit) = lexer.lex();
            let end = tok == Token::EndOfString;
            items.push((tok, lit));
            if end {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn item(&self, idx: usize, ctx: Context) -> (Token, String) {
        let (mut tok, lit) = self
            .items
            .get(idx)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        if ctx == Context::Values && matches!(tok, Token::In | Token::NotIn) {
            tok = Token::Identifier;
        }
        (tok, lit)
    }

    fn lookahead(&self, ctx: Context) -> (Token, String) {
        self.item(self.position, ctx)
    }

    fn consume(&mut self, ctx: Context) -> (Token, String) {
        let idx = self.position;
        self.position += 1;
        self.item(idx, ctx)
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ));
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, operator) = self.parse_key_and_infer_operator()?;
        if let Some(op @ (Operator::Exists | Operator::DoesNotExist)) = operator {
            return new_requirement(key, op, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        new_requirement(key, operator, values.into_iter().collect())
    }

    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut operator = None;
        let (mut tok, mut literal) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (tok, literal) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(format!("found '{literal}', expected: identifier"));
        }
        let errs = is_label_key(&literal);
        if !errs.is_empty() {
            // validateLabelKey(literal, p.path) with a nil *field.Path: the
            // field renders as "<nil>".
            return Err(invalid("<nil>", &literal, &errs.join("; ")));
        }
        let (t, _) = self.lookahead(Context::Values);
        if (t == Token::EndOfString || t == Token::Comma) && operator.is_none() {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                ));
            }
        })
    }

    fn parse_values(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let s = self.parse_identifiers_list()?;
                let (tok, _) = self.consume(Context::Values);
                if tok != Token::ClosedPar {
                    // Go reports the literal looked at before the list.
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(s)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, String> {
        let mut s = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    s.insert(lit);
                    let (tok2, lit2) = self.lookahead(Context::Values);
                    match tok2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(s),
                        _ => return Err(format!("found '{lit2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if s.is_empty() {
                        s.insert(String::new());
                    }
                    let (tok2, _) = self.lookahead(Context::Values);
                    if tok2 == Token::ClosedPar {
                        s.insert(String::new());
                        return Ok(s);
                    }
                    if tok2 == Token::Comma {
                        self.consume(Context::Values);
                        s.insert(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            return Ok(BTreeSet::from([lit]));
        }
        Err(format!("found '{lit}', expected: identifier"))
    }
}

/// `field.Invalid(path, value, detail).Error()` for a string value.
fn invalid(field: &str, value: &str, detail: &str) -> String {
    let mut s = format!("{field}: Invalid value: {}", go_quote(value));
    if !detail.is_empty() {
        s.push_str(": ");
        s.push_str(detail);
    }
    s
}

/// `NewRequirement` as the parser reaches it (nil path): the key is already
/// valid and the value count already right, so only the Gt/Lt integer check
/// and the label value check can fail. Errors are aggregated as
/// `ErrorList.ToAggregate().Error()` renders them.
fn new_requirement(
    key: String,
    operator: Operator,
    values: Vec<String>,
) -> Result<Requirement, String> {
    let mut errs: Vec<String> = Vec::new();
    if matches!(operator, Operator::GreaterThan | Operator::LessThan) {
        if values.len() != 1 {
            // Unreachable from the parser; kept for fidelity.
            errs.push(format!(
                "values: Invalid value: {}: for 'Gt', 'Lt' operators, exactly one value is required",
                json_string_list(&values)
            ));
        }
        for (i, v) in values.iter().enumerate() {
            if v.parse::<i64>().is_err() {
                errs.push(invalid(
                    &format!("values[{i}]"),
                    v,
                    "for 'Gt', 'Lt' operators, the value must be an integer",
                ));
            }
        }
    }
    for (i, v) in values.iter().enumerate() {
        let msgs = is_label_value(v);
        if !msgs.is_empty() {
            errs.push(invalid(&format!("values[{i}][{key}]"), v, &msgs.join("; ")));
        }
    }
    // ToAggregate drops repeated messages; the aggregate brackets 2+.
    let mut unique: Vec<String> = Vec::new();
    for e in errs {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    match unique.len() {
        0 => Ok(Requirement {
            key,
            operator,
            values,
        }),
        1 => Err(unique.pop().unwrap_or_default()),
        _ => Err(format!("[{}]", unique.join(", "))),
    }
}

fn json_string_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
}

// ---------------------------------------------------------------------------
// Label key / value validation (api/validate/content/kube.go, dns.go, errors.go)
// ---------------------------------------------------------------------------

const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/// `content.RegexError`: note the double space Go produces before " or ".
fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{re}')");
    }
    let mut s = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push('\'');
        s.push_str(ex);
        s.push_str("', ");
    }
    s.push_str("regex used for validation is '");
    s.push_str(re);
    s.push_str("')");
    s
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} bytes")
}

/// UNVERIFIED: `content.EmptyError()` text (taken from the older
/// `validation.EmptyError`).
fn empty_error() -> &'static str {
    "must be non-empty"
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`
fn matches_label_key_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => ok(f) && ok(l) && b.iter().all(|c| ok(c) || *c == b'-'),
        _ => false,
    }
}

fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !value.split('.').all(matches_dns1123_label) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `content.IsLabelKey` (a.k.a. `validation.IsQualifiedName`).
/// UNVERIFIED: the >1 '/' wording "a valid label key" is the 1.34+ content
/// package text; older servers said "a qualified name".
fn is_label_key(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {}", empty_error()));
            } else {
                for m in is_dns1123_subdomain(prefix) {
                    errs.push(format!("prefix part {m}"));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR_MSG, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {}", empty_error()));
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !matches_label_key_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_ERR_MSG,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// `content.IsLabelValue`.
fn is_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !value.is_empty() && !matches_label_key_name(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    /// `err!(selector, message)`: parse fails with exactly this message.
    macro_rules! err {
        ($sel:expr, $msg:expr) => {
            assert_eq!(
                LabelSelector::parse($sel),
                Err($msg.to_string()),
                "selector {:?}",
                $sel
            );
        };
    }

    /// `hit!(selector, labels_json, expected_match)`.
    macro_rules! hit {
        ($sel:expr, $labels:expr, $want:expr) => {
            let sel = LabelSelector::parse($sel).expect($sel);
            let l = labels($labels);
            assert_eq!(
                sel.matches(Some(&l)),
                $want,
                "selector {:?} labels {:?}",
                $sel,
                l
            );
        };
    }

    const KEY_REGEX: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const VALUE_REGEX: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    #[test]
    fn golden_errors() {
        // label-selector-err-bad-value: app%3Dbad+value%21
        err!(
            "app=bad value!",
            "found 'value', expected: ',' or 'end of string'"
        );
        // label-selector-err-double-comma: a%3D1%2C%2Cb%3D2
        err!("a=1,,b=2", "found ',', expected: identifier after ','");
        // label-selector-err-gt-nonint: n%3Eabc
        err!(
            "n>abc",
            "unable to parse requirement: values[0]: Invalid value: \"abc\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        // label-selector-err-open-paren: app+in+%28a
        err!(
            "app in (a",
            "unable to parse requirement: found '', expected: ',' or ')'"
        );
        // label-selector-err-space: a+b
        err!(
            "a b",
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
        );
    }

    #[test]
    fn golden_matches() {
        let a = json!({"app": "a", "n": "1"});
        let b = json!({"app": "b", "n": "5"});
        let c = json!({"tier": "web"});
        // label-selector-eq
        hit!("app=a", a.clone(), true);
        hit!("app=a", b.clone(), false);
        hit!("app=a", c.clone(), false);
        // label-selector-neq
        hit!("app!=a", a.clone(), false);
        hit!("app!=a", b.clone(), true);
        hit!("app!=a", c.clone(), true);
        // label-selector-notin
        hit!("app notin (a)", a.clone(), false);
        hit!("app notin (a)", b.clone(), true);
        hit!("app notin (a)", c.clone(), true);
        // label-selector-gt
        hit!("n>2", a.clone(), false);
        hit!("n>2", b.clone(), true);
        hit!("n>2", c.clone(), false);
        // page-limit-selector: bare key = exists
        hit!("app", json!({"app": "x"}), true);
        hit!("app", c.clone(), false);
        // watch-labelselector-live
        hit!("app=x", json!({"app": "x"}), true);
        hit!("app=x", json!({"app": "y"}), false);
        hit!("app=x", json!({"app": "z"}), false);
    }

    #[test]
    fn more_errors() {
        err!(
            "=",
            "found '=', expected: !, identifier, or 'end of string'"
        );
        err!(
            ",",
            "found ',', expected: !, identifier, or 'end of string'"
        );
        err!("a=b,", "found '', expected: identifier after ','");
        err!("a=b c", "found 'c', expected: ',' or 'end of string'");
        err!(
            "!",
            "unable to parse requirement: found '', expected: identifier"
        );
        err!(
            "!=a",
            "found '!=', expected: !, identifier, or 'end of string'"
        );
        err!(
            "x in (a,,)",
            "unable to parse requirement: found ')', expected: ',', or identifier"
        );
        err!(
            "a>+5",
            format!(
                "unable to parse requirement: values[0][a]: Invalid value: \"+5\": {VALUE_REGEX}"
            )
        );
        err!(
            "a=b\0junk",
            "found 'junk', expected: ',' or 'end of string'"
        );
        err!("!a=b", "found '=', expected: ',' or 'end of string'");
        err!(
            "a in",
            "unable to parse requirement: found '' expected: '('"
        );
        err!(
            "a in b",
            "unable to parse requirement: found 'b' expected: '('"
        );
        err!(
            "a in (=)",
            "unable to parse requirement: found '=', expected: ',', ')' or identifier"
        );
        err!(
            "a in (b c)",
            "unable to parse requirement: found 'c', expected: ',' or ')'"
        );
        err!(
            "a in (b,=)",
            "unable to parse requirement: found '=', expected: ',', or identifier"
        );
        err!(
            "a in (b,c",
            "unable to parse requirement: found '', expected: ',' or ')'"
        );
        err!(
            "a==(",
            "unable to parse requirement: found '(', expected: identifier"
        );
        err!(
            "a=(b)",
            "unable to parse requirement: found '(', expected: identifier"
        );
        err!(
            "a!b",
            "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"
        );
        err!(
            "a<=1",
            "unable to parse requirement: found '=', expected: identifier"
        );
        err!(
            "a===b",
            "unable to parse requirement: found '=', expected: identifier"
        );
        err!(
            "a>",
            "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        err!(
            "a<1.5",
            "unable to parse requirement: values[0]: Invalid value: \"1.5\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        err!(
            "a>99999999999999999999",
            "unable to parse requirement: values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        err!(
            "a>-1",
            format!(
                "unable to parse requirement: values[0][a]: Invalid value: \"-1\": {VALUE_REGEX}"
            )
        );
        err!(
            "a>-x",
            format!(
                "unable to parse requirement: [values[0]: Invalid value: \"-x\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: \"-x\": {VALUE_REGEX}]"
            )
        );
        err!(
            "a=-b",
            format!(
                "unable to parse requirement: values[0][a]: Invalid value: \"-b\": {VALUE_REGEX}"
            )
        );
        err!(
            "a in (x,-y)",
            format!(
                "unable to parse requirement: values[0][a]: Invalid value: \"-y\": {VALUE_REGEX}"
            )
        );
        err!(
            "a in (zz,-y)",
            format!(
                "unable to parse requirement: values[0][a]: Invalid value: \"-y\": {VALUE_REGEX}"
            )
        );
        err!(
            &format!("a={}", "v".repeat(64)),
            format!(
                "unable to parse requirement: values[0][a]: Invalid value: \"{}\": must be no more than 63 bytes",
                "v".repeat(64)
            )
        );
        err!(
            "-a",
            format!("unable to parse requirement: <nil>: Invalid value: \"-a\": {KEY_REGEX}")
        );
        err!("a/", "unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be non-empty; ".to_string() + KEY_REGEX);
        err!(
            "/a",
            "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty"
        );
        err!(
            "A.b/c",
            "unable to parse requirement: <nil>: Invalid value: \"A.b/c\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
        err!(
            "a/b/c=d",
            "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        );
        err!(
            "é",
            format!("unable to parse requirement: <nil>: Invalid value: \"é\": {KEY_REGEX}")
        );
        err!(
            "a\"b",
            format!("unable to parse requirement: <nil>: Invalid value: \"a\\\"b\": {KEY_REGEX}")
        );
        err!(
            &format!("{}=x", "k".repeat(64)),
            format!(
                "unable to parse requirement: <nil>: Invalid value: \"{}\": name part must be no more than 63 bytes",
                "k".repeat(64)
            )
        );
    }

    #[test]
    fn parses() {
        let ok = |s: &str| LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert!(ok("").is_empty());
        assert!(ok("   ").is_empty());
        assert!(!ok("a").is_empty());
        assert_eq!(ok("b=1,a=2").requirements()[0].key, "a");
        assert_eq!(ok("x in (foo,,baz),y,z notin ()").requirements().len(), 3);
        assert_eq!(
            ok("x in (c,a,b,a)").requirements()[0].values,
            vec!["a", "b", "c"]
        );
        assert_eq!(ok("x in (,)").requirements()[0].values, vec![""]);
        assert_eq!(
            ok("x in (,a,,b)").requirements()[0].values,
            vec!["", "a", "b"]
        );
        assert_eq!(ok("x=").requirements()[0].values, vec![""]);
        assert_eq!(ok("x=,y").requirements().len(), 2);
        assert_eq!(
            ok("x in (in,notin)").requirements()[0].values,
            vec!["in", "notin"]
        );
        assert_eq!(ok("x = in").requirements()[0].values, vec!["in"]);
        assert_eq!(
            ok("example.com/a-b_c.d=e").requirements()[0].key,
            "example.com/a-b_c.d"
        );
        assert_eq!(ok("a>5").requirements()[0].values, vec!["5"]);
        assert_eq!(ok("\ta\r\n=\nb ").requirements()[0].values, vec!["b"]);
        assert_eq!(ok("!a").requirements()[0].operator, Operator::DoesNotExist);
        assert_eq!(
            ok("a==b").requirements()[0].operator,
            Operator::DoubleEquals
        );
        // A NUL byte reads as end of input to the Go lexer.
        assert_eq!(ok("a=b \0junk junk").requirements().len(), 1);
        assert_eq!(ok("a=\0b").requirements()[0].values, vec!["b"]);
    }

    #[test]
    fn matching() {
        let l = json!({"a": "1", "b": "x", "e": ""});
        hit!("", l.clone(), true);
        hit!("a", l.clone(), true);
        hit!("!a", l.clone(), false);
        hit!("!z", l.clone(), true);
        hit!("z", l.clone(), false);
        hit!("a in (1,2)", l.clone(), true);
        hit!("a in (2)", l.clone(), false);
        hit!("z in (2)", l.clone(), false);
        hit!("z notin (2)", l.clone(), true);
        hit!("a notin (1)", l.clone(), false);
        hit!("a==1", l.clone(), true);
        hit!("e=", l.clone(), true);
        hit!("z=", l.clone(), false);
        hit!("z!=", l.clone(), true);
        hit!("a<2", l.clone(), true);
        hit!("a<1", l.clone(), false);
        hit!("a>0,b=x", l.clone(), true);
        hit!("a>0,b=y", l.clone(), false);
        hit!("b>0", l.clone(), false);
        hit!("z<5", l.clone(), false);
        hit!("e in ()", l.clone(), true);
        let sel = LabelSelector::parse("a").expect("a");
        assert!(!sel.matches(None));
        assert!(LabelSelector::parse("!a").expect("!a").matches(None));
        assert!(LabelSelector::everything().matches(None));
        assert!(sel.matches_object(&json!({"metadata": {"labels": {"a": "v"}}})));
        assert!(!sel.matches_object(&json!({"metadata": {}})));
    }

    #[test]
    fn odd_inputs_never_panic() {
        let mut inputs: Vec<String> = [
            "",
            " ",
            "!",
            "!!",
            "!=",
            "==",
            "=",
            "(",
            ")",
            "()",
            ",",
            ",,",
            "<",
            ">",
            "<>",
            "in",
            "notin",
            "in in",
            "in (in)",
            "a in",
            "a in (",
            "a in ()",
            "a in (,",
            "a in (,,",
            "a in ((",
            "a notin )",
            "a=b)",
            "a(",
            "\0",
            "\0\0=",
            "a\0",
            "=\0",
            "!\0",
            "é=ü",
            "☃ in (☃)",
            "a=\u{feff}",
            "\u{1F600}",
            "a=b\\",
            "\\",
            "a!=!b",
            "a<<1",
            "a>>1",
            "a>=1",
            "a=>1",
            "!a=b",
            "!a in (b)",
            "a,b,c,",
            "a=b,,",
            "a/b/c/d",
            "/",
            "//",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.push("(".repeat(10_000));
        inputs.push(format!("a in ({})", ",".repeat(10_000)));
        inputs.push("a=b,".repeat(5_000));
        inputs.push("x".repeat(100_000));
        inputs.push("!".repeat(10_000));
        inputs.push("a in (".to_string() + &"b,".repeat(5_000) + ")");
        for s in &inputs {
            let _ = LabelSelector::parse(s);
            if let Ok(sel) = LabelSelector::parse(s) {
                let _ = sel.matches(None);
                let _ = sel.matches(Some(&Map::new()));
            }
        }
        // Every prefix of a tricky string, at char boundaries.
        let tricky = "!a,b in (c,,d),e notin (),f=g,h==i,j!=k,l>1,m<2,é=ü";
        for (i, _) in tricky.char_indices() {
            let _ = LabelSelector::parse(&tricky[..i]);
            let _ = LabelSelector::parse(&tricky[i..]);
        }
    }
}
