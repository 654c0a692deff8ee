//! Expectations as data: what a client is expected to send, read from YAML
//! or JSON (`conformance/clients/**.yaml`, the control API, the Rust API)
//! and matched against recorded requests.
//!
//! This module owns the matchers (method, path, query, headers), the typed
//! placeholders (`{rv}`, `{int:300..599}`, `{duration}`, `{bool}`, `{any}`),
//! how many times a request may come ([`Times`]), the canned response an
//! expectation may give ([`Respond`]) and the diff in words between an
//! expectation and a request. Counting and reporting live in
//! [`super::verify`]; the recording itself in [`super`].
//!
//! Matchers and responders are kept apart (wiremock-rs): an [`Expectation`]
//! says what it matches; its optional [`Respond`] is only data the HTTP
//! layer turns into a response.

use super::RecordedRequest;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

// ---------------------------------------------------------------------------
// Templates and placeholders

/// One typed placeholder inside a [`Template`].
#[derive(Debug, Clone, PartialEq)]
enum Placeholder {
    /// `{any}`: anything, the empty string included.
    Any,
    /// `{rv}`: a resourceVersion (decimal digits).
    Rv,
    /// `{int}` or `{int:LO..HI}` (inclusive bounds).
    Int(Option<i64>, Option<i64>),
    /// `{duration}`: a Go duration as `time.Duration.String()` writes it
    /// (`32s`, `1m0s`, `500ms`).
    Duration,
    /// `{bool}`: what apimachinery reads as a boolean (`true`, `True`, `1`,
    /// `false`...).
    Bool,
}

impl Placeholder {
    fn parse(spec: &str) -> Result<Placeholder, String> {
        let (name, arg) = match spec.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (spec, None),
        };
        match (name, arg) {
            ("any", None) => Ok(Placeholder::Any),
            ("rv", None) => Ok(Placeholder::Rv),
            ("duration", None) => Ok(Placeholder::Duration),
            ("bool", None) => Ok(Placeholder::Bool),
            ("int", None) => Ok(Placeholder::Int(None, None)),
            ("int", Some(range)) => {
                let (lo, hi) = range.split_once("..").ok_or_else(|| {
                    format!("placeholder {{{spec}}}: the range must be LO..HI, e.g. {{int:300..599}}")
                })?;
                let bound = |s: &str| -> Result<Option<i64>, String> {
                    if s.is_empty() {
                        return Ok(None);
                    }
                    s.trim()
                        .parse()
                        .map(Some)
                        .map_err(|_| format!("placeholder {{{spec}}}: {s:?} is not an integer"))
                };
                Ok(Placeholder::Int(bound(lo)?, bound(hi)?))
            }
            _ => Err(format!(
                "unknown placeholder {{{spec}}} (known: {{any}}, {{rv}}, {{int}}, {{int:LO..HI}}, {{duration}}, {{bool}}; write {{{{ for a literal brace)"
            )),
        }
    }

    /// Whether the placeholder accepts exactly `s`: the specification the
    /// linear-time matcher ([`match_tokens`]) is tested against.
    #[cfg(test)]
    fn accepts(&self, s: &str) -> bool {
        match self {
            Placeholder::Any => true,
            Placeholder::Rv => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
            Placeholder::Int(lo, hi) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return false;
                }
                let Ok(n) = s.parse::<i64>() else {
                    return false;
                };
                lo.is_none_or(|lo| n >= lo) && hi.is_none_or(|hi| n <= hi)
            }
            Placeholder::Duration => is_go_duration(s),
            Placeholder::Bool => ["true", "false", "1", "0"]
                .iter()
                .any(|b| s.eq_ignore_ascii_case(b)),
        }
    }
}

#[cfg(test)]
/// Whether `s` is a Go duration (`time.ParseDuration`): an optional sign,
/// then one or more `NUMBER UNIT` with units ns, us, µs, ms, s, m, h.
fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[num_len..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .find(|u| rest.starts_with(**u) && !(**u == "m" && rest.starts_with("ms")))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Lit(String),
    Ph(Placeholder),
}

/// A string with typed placeholders: `timeoutSeconds={int:300..599}`.
/// Without placeholders it is an exact string. `{{` is a literal `{`.
///
/// In YAML, numbers and booleans are taken as their text (`limit: 500`
/// means the string `500`).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    text: String,
    tokens: Vec<Token>,
}

impl Template {
    /// Parses a template; the error names the bad placeholder.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut tokens = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('{') {
            lit.push_str(&rest[..i]);
            rest = &rest[i..];
            if let Some(after) = rest.strip_prefix("{{") {
                lit.push('{');
                rest = after;
                continue;
            }
            let Some(end) = rest.find('}') else {
                return Err(format!("unclosed placeholder in {text:?}"));
            };
            let ph = Placeholder::parse(&rest[1..end])?;
            if !lit.is_empty() {
                tokens.push(Token::Lit(std::mem::take(&mut lit)));
            }
            tokens.push(Token::Ph(ph));
            rest = &rest[end + 1..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            tokens.push(Token::Lit(lit));
        }
        Ok(Template {
            text: text.to_string(),
            tokens,
        })
    }

    /// A template that matches exactly `text` (braces are literal).
    pub fn literal(text: &str) -> Template {
        Template {
            text: text.replace('{', "{{"),
            tokens: if text.is_empty() {
                Vec::new()
            } else {
                vec![Token::Lit(text.to_string())]
            },
        }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the template has no placeholders.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Lit(_)))
    }

    /// Whether `s` matches the whole template.
    pub fn matches(&self, s: &str) -> bool {
        match_tokens(&self.tokens, s)
    }
}

/// Whether `s` matches `tokens`, in O(n·m) time for a string of n bytes and
/// a template of m bytes, whatever the placeholders.
///
/// A set-of-positions simulation (Thompson NFA style) instead of
/// backtracking: `cur[p]` says that the tokens so far can match `s[..p]`.
/// Each token maps the set to the next one in one pass over `s`, so the
/// same split is never tried twice (a backtracking matcher took
/// exponential time on `/{any}{any}...{any}x`, issue 14). Which strings
/// each placeholder accepts is [`Placeholder::accepts`], unchanged.
fn match_tokens(tokens: &[Token], s: &str) -> bool {
    if let [Token::Lit(l)] = tokens {
        return l == s;
    }
    let n = s.len();
    let mut cur = vec![false; n + 1];
    cur[0] = true;
    let mut next = vec![false; n + 1];
    let mut scratch = Scratch::default();
    for token in tokens {
        next.iter_mut().for_each(|b| *b = false);
        match token {
            Token::Lit(l) => step_literal(l, s, &cur, &mut next),
            Token::Ph(ph) => step_placeholder(ph, s, &cur, &mut next, &mut scratch),
        }
        std::mem::swap(&mut cur, &mut next);
        if !cur.contains(&true) {
            return false;
        }
    }
    cur[n]
}

/// Buffers reused by the steps of one match.
#[derive(Default)]
struct Scratch {
    /// For `{int}`: the end of the run of `0` bytes starting at each index.
    zero_end: Vec<usize>,
    /// Interval marks (+1 at a start, -1 past an end), summed into `next`.
    marks: Vec<i32>,
}

fn step_literal(l: &str, s: &str, cur: &[bool], next: &mut [bool]) {
    for p in (0..=s.len()).filter(|&p| cur[p]) {
        if s.as_bytes()[p..].starts_with(l.as_bytes()) {
            next[p + l.len()] = true;
        }
    }
}

fn step_placeholder(ph: &Placeholder, s: &str, cur: &[bool], next: &mut [bool], sc: &mut Scratch) {
    let b = s.as_bytes();
    let n = b.len();
    match ph {
        Placeholder::Any => {
            if let Some(first) = cur.iter().position(|&c| c) {
                for (q, slot) in next.iter_mut().enumerate().skip(first) {
                    *slot = s.is_char_boundary(q);
                }
            }
        }
        Placeholder::Rv => {
            // Ends of a non-empty digit run begun at a reached position.
            let mut open = false;
            for i in 0..n {
                if b[i].is_ascii_digit() {
                    open |= cur[i];
                    next[i + 1] = open;
                } else {
                    open = false;
                }
            }
        }
        Placeholder::Bool => {
            for p in (0..=n).filter(|&p| cur[p]) {
                for word in ["true", "false", "1", "0"] {
                    if b.get(p..p + word.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(word.as_bytes()))
                    {
                        next[p + word.len()] = true;
                    }
                }
            }
        }
        Placeholder::Duration => {
            // Every reached position starts a run of the duration automaton;
            // the runs share one state set per byte.
            let mut states = 0u16;
            for i in 0..n {
                if cur[i] {
                    states |= duration::START;
                }
                states = duration::step(states, b[i]);
                next[i + 1] = states & duration::ACCEPT != 0;
            }
        }
        Placeholder::Int(lo, hi) => step_int(*lo, *hi, b, cur, next, sc),
    }
}

/// `{int}`: an optional `-`, then digits whose value (leading zeros
/// allowed, as `str::parse::<i64>` reads them) lies in i64 and in
/// `lo..=hi`. From each start the run of leading zeros is one interval
/// (value 0) and at most 20 significant digits follow before the value
/// leaves i64, so a step is O(n).
fn step_int(
    lo: Option<i64>,
    hi: Option<i64>,
    b: &[u8],
    cur: &[bool],
    next: &mut [bool],
    sc: &mut Scratch,
) {
    let n = b.len();
    let in_range = |v: i128| {
        i64::try_from(v).is_ok_and(|v| lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi))
    };
    sc.zero_end.clear();
    sc.zero_end.resize(n + 1, n);
    for i in (0..n).rev() {
        sc.zero_end[i] = if b[i] == b'0' { sc.zero_end[i + 1] } else { i };
    }
    sc.marks.clear();
    sc.marks.resize(n + 2, 0);
    for p in (0..=n).filter(|&p| cur[p]) {
        let (neg, start) = match b.get(p) {
            Some(b'-') => (true, p + 1),
            _ => (false, p),
        };
        let zeros_end = sc.zero_end[start.min(n)];
        if zeros_end > start && in_range(0) {
            // Ends start+1..=zeros_end: all zeros, value 0.
            sc.marks[start + 1] += 1;
            sc.marks[zeros_end + 1] -= 1;
        }
        let mut v: i128 = 0;
        for (q, &d) in b.iter().enumerate().skip(zeros_end) {
            if !d.is_ascii_digit() || v > i64::MAX as i128 + 1 {
                break;
            }
            v = v * 10 + i128::from(d - b'0');
            if in_range(if neg { -v } else { v }) {
                next[q + 1] = true;
            }
        }
    }
    let mut run = 0;
    for (q, slot) in next.iter_mut().enumerate() {
        run += sc.marks[q];
        *slot |= run > 0;
    }
}

/// The Go duration syntax of [`is_go_duration`] as a byte automaton (a bit
/// set of states), for matching from many start positions at once:
/// `[+-]?(0|(NUM UNIT)+)`, NUM `\d+\.?\d*|\.\d+`, UNIT ns us µs ms s m h.
mod duration {
    const SIGN: u16 = 1 << 0; // before the optional sign
    const BODY: u16 = 1 << 1; // after the sign, nothing else yet
    const ZERO: u16 = 1 << 2; // the body is exactly "0" (accepting)
    const DIGITS: u16 = 1 << 3; // a number with digits, no dot
    const DOT: u16 = 1 << 4; // a number that is only "."
    const FRAC: u16 = 1 << 5; // a number with digits and one dot
    const UNIT_S: u16 = 1 << 6; // after n, u or µ: needs "s"
    const MU: u16 = 1 << 7; // after the first byte of µ
    const M: u16 = 1 << 8; // after "m" (accepting; "s" makes "ms")
    const DONE: u16 = 1 << 9; // after a whole unit (accepting)
    /// The states a run starts in.
    pub(super) const START: u16 = SIGN | BODY;
    /// The accepting states.
    pub(super) const ACCEPT: u16 = ZERO | M | DONE;

    /// One byte through every state of the set.
    pub(super) fn step(states: u16, c: u8) -> u16 {
        let mut out = 0;
        let has = |s: u16| states & s != 0;
        if has(SIGN) && (c == b'+' || c == b'-') {
            out |= BODY;
        }
        if has(BODY) && c == b'0' {
            out |= ZERO;
        }
        // Where a number may begin: the body, or after a unit.
        if has(BODY | DONE | M) {
            if c.is_ascii_digit() {
                out |= DIGITS;
            } else if c == b'.' {
                out |= DOT;
            }
        }
        if has(DIGITS) {
            if c.is_ascii_digit() {
                out |= DIGITS;
            } else if c == b'.' {
                out |= FRAC;
            }
        }
        if has(DOT | FRAC) && c.is_ascii_digit() {
            out |= FRAC;
        }
        if has(DIGITS | FRAC) {
            match c {
                b'n' | b'u' => out |= UNIT_S,
                0xC2 => out |= MU,
                b'm' => out |= M,
                b's' | b'h' => out |= DONE,
                _ => {}
            }
        }
        if has(MU) && c == 0xB5 {
            out |= UNIT_S;
        }
        if has(UNIT_S | M) && c == b's' {
            out |= DONE;
        }
        out
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Template, D::Error> {
        let text = d.deserialize_any(ScalarText)?;
        Template::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Accepts a string, number or boolean as text (YAML writes `limit: 500`).
struct ScalarText;

impl serde::de::Visitor<'_> for ScalarText {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

// ---------------------------------------------------------------------------
// Query matching

/// One parameter's expected value(s): a single template, or a list for a
/// repeated key (`command=echo&command=hi`), matched in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValues {
    /// One value.
    One(Template),
    /// Repeated key, values in order.
    Many(Vec<Template>),
}

impl ParamValues {
    fn as_slice(&self) -> &[Template] {
        match self {
            ParamValues::One(t) => std::slice::from_ref(t),
            ParamValues::Many(v) => v,
        }
    }
}

/// How the query string is matched.
///
/// - a string: the exact query string as sent (order and encoding count),
///   placeholders allowed: `limit=500`, `""` for "no parameters";
/// - `{exact: "..."}`: the same, spelled out;
/// - `{params: {k: v}}`: exactly this set of parameters, in any order;
/// - `{subset: {k: v}, absent: [k]}`: at least these parameters (others
///   allowed), and none of `absent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QueryMatcher {
    /// The exact query string.
    Exact(Template),
    /// The structured forms.
    Form(QueryForm),
}

/// The structured forms of [`QueryMatcher`]; exactly one of `exact`,
/// `params`, `subset` (with `absent` only beside `subset` or alone).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryForm {
    /// The exact query string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<Template>,
    /// Exactly these parameters, any order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, ParamValues>>,
    /// At least these parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<BTreeMap<String, ParamValues>>,
    /// Parameters that must not be sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<String>,
}

impl QueryMatcher {
    fn validate(&self) -> Result<(), String> {
        if let QueryMatcher::Form(f) = self {
            let n = [f.exact.is_some(), f.params.is_some(), f.subset.is_some()]
                .iter()
                .filter(|b| **b)
                .count();
            if n > 1 {
                return Err("query: give only one of exact, params, subset".into());
            }
            if !f.absent.is_empty() && (f.exact.is_some() || f.params.is_some()) {
                return Err("query: absent goes with subset (or alone)".into());
            }
        }
        Ok(())
    }

    /// Differences between this matcher and a request's query, in words;
    /// empty when it matches.
    pub fn diff(&self, req: &RecordedRequest) -> Vec<String> {
        let raw = req.query.as_deref().unwrap_or("");
        match self {
            QueryMatcher::Exact(t)
            | QueryMatcher::Form(QueryForm {
                exact: Some(t),
                params: None,
                subset: None,
                ..
            }) => exact_diff(t, raw, &req.params),
            QueryMatcher::Form(f) => {
                let mut out = Vec::new();
                if let Some(p) = &f.params {
                    out.extend(params_diff(p, &req.params, false));
                }
                if let Some(p) = &f.subset {
                    out.extend(params_diff(p, &req.params, true));
                }
                for key in &f.absent {
                    if let Some((_, v)) = req.params.iter().find(|(k, _)| k == key) {
                        out.push(format!(
                            "extra parameter {key}={v} (expected it to be absent)"
                        ));
                    }
                }
                out
            }
        }
    }
}

/// `k=v&k2=v2` of a template split into decoded keys and value templates.
fn template_pairs(t: &Template) -> Result<Vec<(String, Template)>, String> {
    t.as_str()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            let dec = |s: &str| {
                form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((dec(k), Template::parse(&dec(v))?))
        })
        .collect()
}

fn exact_diff(t: &Template, raw: &str, actual: &[(String, String)]) -> Vec<String> {
    if t.matches(raw) {
        return Vec::new();
    }
    let Ok(expected) = template_pairs(t) else {
        return vec![format!(
            "different query string: expected `{t}`, got `{raw}`"
        )];
    };
    let same_order = expected.len() == actual.len()
        && expected
            .iter()
            .zip(actual)
            .all(|((ek, ev), (ak, av))| ek == ak && ev.matches(av));
    if same_order {
        return vec![format!(
            "different query string (same parameters, same order; encoding or separators differ): expected `{t}`, got `{raw}`"
        )];
    }
    let mut grouped: BTreeMap<String, ParamValues> = BTreeMap::new();
    for (k, v) in expected.iter().cloned() {
        match grouped.remove(&k) {
            None => grouped.insert(k, ParamValues::One(v)),
            Some(ParamValues::One(a)) => grouped.insert(k, ParamValues::Many(vec![a, v])),
            Some(ParamValues::Many(mut m)) => {
                m.push(v);
                grouped.insert(k, ParamValues::Many(m))
            }
        };
    }
    let set_diff = params_diff(&grouped, actual, false);
    if set_diff.is_empty() {
        let order = |pairs: Vec<&str>| pairs.join(", ");
        return vec![format!(
            "different order: expected {}, got {}",
            order(expected.iter().map(|(k, _)| k.as_str()).collect()),
            order(actual.iter().map(|(k, _)| k.as_str()).collect())
        )];
    }
    set_diff
}

fn params_diff(
    expected: &BTreeMap<String, ParamValues>,
    actual: &[(String, String)],
    subset: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for (key, want) in expected {
        let want = want.as_slice();
        let got: Vec<&str> = actual
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        if got.is_empty() {
            let shown: Vec<&str> = want.iter().map(Template::as_str).collect();
            out.push(format!(
                "missing parameter {key} (expected {key}={})",
                shown.join(&format!("&{key}="))
            ));
            continue;
        }
        if got.len() != want.len() {
            let shown: Vec<&str> = want.iter().map(Template::as_str).collect();
            out.push(format!(
                "parameter {key} sent {} times, expected {} ({} vs {})",
                got.len(),
                want.len(),
                got.join(","),
                shown.join(",")
            ));
            continue;
        }
        for (w, g) in want.iter().zip(&got) {
            if !w.matches(g) {
                out.push(format!("different value for {key}: expected {w}, got {g}"));
            }
        }
    }
    if !subset {
        let mut seen = Vec::new();
        for (k, v) in actual {
            if !expected.contains_key(k) && !seen.contains(&k) {
                seen.push(k);
                out.push(format!("extra parameter {k}={v}"));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Times

/// How many times an expectation must match: `once`, `never`, `any`, a
/// number, `{at_least: N}`, `{at_most: N}`, or both. Default: at least once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TimesSpec", into = "TimesSpec")]
pub struct Times {
    /// Fewest matches.
    pub min: u64,
    /// Most matches (`None`: unbounded).
    pub max: Option<u64>,
}

impl Default for Times {
    fn default() -> Self {
        Times::at_least(1)
    }
}

impl Times {
    /// Exactly once.
    pub const ONCE: Times = Times {
        min: 1,
        max: Some(1),
    };
    /// Never.
    pub const NEVER: Times = Times {
        min: 0,
        max: Some(0),
    };
    /// Any number, zero included.
    pub const ANY: Times = Times { min: 0, max: None };
    /// Exactly `n` times.
    pub fn exactly(n: u64) -> Times {
        Times {
            min: n,
            max: Some(n),
        }
    }
    /// At least `n` times.
    pub fn at_least(n: u64) -> Times {
        Times { min: n, max: None }
    }
    /// At most `n` times.
    pub fn at_most(n: u64) -> Times {
        Times {
            min: 0,
            max: Some(n),
        }
    }
    /// Whether `n` matches satisfy it.
    pub fn contains(&self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|m| n <= m)
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (0, Some(0)) => f.write_str("never"),
            (1, Some(1)) => f.write_str("once"),
            (0, None) => f.write_str("any number of times"),
            (n, Some(m)) if n == m => write!(f, "{n} times"),
            (n, None) => write!(f, "at least {n} time{}", if n == 1 { "" } else { "s" }),
            (0, Some(m)) => write!(f, "at most {m} times"),
            (n, Some(m)) => write!(f, "{n} to {m} times"),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TimesSpec {
    Count(u64),
    Word(String),
    Range {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<u64>,
    },
}

impl TryFrom<TimesSpec> for Times {
    type Error = String;
    fn try_from(spec: TimesSpec) -> Result<Times, String> {
        match spec {
            TimesSpec::Count(n) => Ok(Times::exactly(n)),
            TimesSpec::Word(w) => match w.trim() {
                "once" => Ok(Times::ONCE),
                "never" => Ok(Times::NEVER),
                "any" => Ok(Times::ANY),
                other => other
                    .parse()
                    .map(Times::exactly)
                    .map_err(|_| format!("times: {other:?} is not once, never, any, a number, {{at_least: N}} or {{at_most: N}}")),
            },
            TimesSpec::Range { at_least, at_most } => {
                let t = Times {
                    min: at_least.unwrap_or(0),
                    max: at_most,
                };
                if t.max.is_some_and(|m| m < t.min) {
                    return Err(format!("times: at_least {} > at_most {}", t.min, t.max.unwrap_or(0)));
                }
                Ok(t)
            }
        }
    }
}

impl From<Times> for TimesSpec {
    fn from(t: Times) -> TimesSpec {
        match (t.min, t.max) {
            (1, Some(1)) => TimesSpec::Word("once".into()),
            (0, Some(0)) => TimesSpec::Word("never".into()),
            (0, None) => TimesSpec::Word("any".into()),
            (n, Some(m)) if n == m => TimesSpec::Count(n),
            (n, m) => TimesSpec::Range {
                at_least: (n > 0).then_some(n),
                at_most: m,
            },
        }
    }
}

// ---------------------------------------------------------------------------
// Responses

/// A response to give instead of the store's.
///
/// - `{status: 422, reason: Invalid, message: "..."}`: a Status body;
/// - `{status: 200, body: {...}}`: this JSON body;
/// - `{watch: [{type: ADDED, object: {...}}, ...], hold: false}`: a watch
///   stream of these events, then the end of the stream (or, with
///   `hold: true`, held open until the client goes or the server stops).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Respond {
    /// HTTP status (default 200).
    #[serde(default = "default_status")]
    pub status: u16,
    /// The Status `reason` (default: the one the status code implies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The Status `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A JSON body instead of a Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Watch events to stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<Vec<serde_json::Value>>,
    /// Keep the watch stream open after the events.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hold: bool,
}

fn default_status() -> u16 {
    200
}

impl Respond {
    /// A Status failure with this code, reason and message.
    pub fn status(code: u16, reason: &str, message: &str) -> Respond {
        Respond {
            status: code,
            reason: Some(reason.into()),
            message: Some(message.into()),
            body: None,
            watch: None,
            hold: false,
        }
    }

    /// The reason a Status of this code carries by default.
    pub fn default_reason(code: u16) -> &'static str {
        match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            406 => "NotAcceptable",
            409 => "Conflict",
            410 => "Expired",
            415 => "UnsupportedMediaType",
            422 => "Invalid",
            429 => "TooManyRequests",
            504 => "Timeout",
            _ if code >= 500 => "InternalError",
            _ => "",
        }
    }
}

// ---------------------------------------------------------------------------
// Expectations

/// One expected request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// A name for reports and sequences (default: `METHOD path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// HTTP method (default GET).
    #[serde(default = "default_method")]
    pub method: String,
    /// The path (placeholders allowed: `/api/v1/namespaces/{any}/pods`).
    pub path: Template,
    /// The query; absent: any query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<QueryMatcher>,
    /// Headers (case-insensitive names); `~` (null) means "not sent".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Option<Template>>,
    /// How many times (default: at least once).
    #[serde(default)]
    pub times: Times,
    /// A response to give instead of the store's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond: Option<Respond>,
}

fn default_method() -> String {
    "GET".into()
}

impl Expectation {
    /// An expectation of `method path`, any query, at least once.
    ///
    /// # Errors
    /// A path with a bad placeholder.
    pub fn new(method: &str, path: &str) -> Result<Expectation, String> {
        Ok(Expectation {
            name: None,
            method: method.to_ascii_uppercase(),
            path: Template::parse(path)?,
            query: None,
            headers: BTreeMap::new(),
            times: Times::default(),
            respond: None,
        })
    }
    /// Names it.
    #[must_use = "builders return the changed expectation"]
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The exact query string (placeholders allowed).
    ///
    /// # Errors
    /// A bad placeholder.
    pub fn query_exact(mut self, query: &str) -> Result<Self, String> {
        self.query = Some(QueryMatcher::Exact(Template::parse(query)?));
        Ok(self)
    }
    /// Exactly these parameters, any order.
    ///
    /// # Errors
    /// A bad placeholder.
    pub fn query_params(mut self, params: &[(&str, &str)]) -> Result<Self, String> {
        self.query = Some(QueryMatcher::Form(QueryForm {
            params: Some(param_map(params)?),
            ..QueryForm::default()
        }));
        Ok(self)
    }
    /// At least these parameters.
    ///
    /// # Errors
    /// A bad placeholder.
    pub fn query_subset(mut self, params: &[(&str, &str)]) -> Result<Self, String> {
        self.query = Some(QueryMatcher::Form(QueryForm {
            subset: Some(param_map(params)?),
            ..QueryForm::default()
        }));
        Ok(self)
    }
    /// A header value (placeholders allowed); `None`: must not be sent.
    ///
    /// # Errors
    /// A bad placeholder.
    pub fn header(mut self, name: &str, value: Option<&str>) -> Result<Self, String> {
        let v = value.map(Template::parse).transpose()?;
        self.headers.insert(name.into(), v);
        Ok(self)
    }
    /// How many times.
    #[must_use = "builders return the changed expectation"]
    pub fn times(mut self, times: Times) -> Self {
        self.times = times;
        self
    }
    /// A response instead of the store's.
    #[must_use = "builders return the changed expectation"]
    pub fn respond(mut self, respond: Respond) -> Self {
        self.respond = Some(respond);
        self
    }

    /// The name used in reports.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => match &self.query {
                Some(QueryMatcher::Exact(t)) if !t.as_str().is_empty() => {
                    format!("{} {}?{}", self.method, self.path, t)
                }
                _ => format!("{} {}", self.method, self.path),
            },
        }
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(q) = &self.query {
            q.validate()
                .map_err(|e| format!("{}: {e}", self.display_name()))?;
        }
        if let Some(r) = &self.respond {
            if !(100..=599).contains(&r.status) {
                return Err(format!(
                    "{}: respond.status {} is not an HTTP status",
                    self.display_name(),
                    r.status
                ));
            }
        }
        Ok(())
    }

    /// Whether the request matches.
    pub fn matches(&self, req: &RecordedRequest) -> bool {
        self.method.eq_ignore_ascii_case(&req.method)
            && self.path.matches(&req.path)
            && self.query.as_ref().is_none_or(|q| q.diff(req).is_empty())
            && self.header_diff(req).is_empty()
    }

    /// Whether the request matches, whatever its method (path, query and
    /// headers only): fault rules without a method use this.
    pub fn matches_any_method(&self, req: &RecordedRequest) -> bool {
        self.path.matches(&req.path)
            && self.query.as_ref().is_none_or(|q| q.diff(req).is_empty())
            && self.header_diff(req).is_empty()
    }

    /// Every difference between this expectation and the request, in words
    /// (empty when it matches).
    pub fn diff(&self, req: &RecordedRequest) -> Vec<String> {
        let mut out = Vec::new();
        if !self.method.eq_ignore_ascii_case(&req.method) {
            out.push(format!(
                "different method: expected {}, got {}",
                self.method, req.method
            ));
        }
        if !self.path.matches(&req.path) {
            out.push(format!(
                "different path: expected {}, got {}",
                self.path, req.path
            ));
        }
        if let Some(q) = &self.query {
            out.extend(q.diff(req));
        }
        out.extend(self.header_diff(req));
        out
    }

    /// How far the request is from matching: method and path weigh most.
    pub(crate) fn distance(&self, req: &RecordedRequest) -> usize {
        let mut d = 0;
        if !self.method.eq_ignore_ascii_case(&req.method) {
            d += 100;
        }
        if !self.path.matches(&req.path) {
            d += 1000;
        }
        if let Some(q) = &self.query {
            d += 10 * q.diff(req).len();
        }
        d + self.header_diff(req).len()
    }

    fn header_diff(&self, req: &RecordedRequest) -> Vec<String> {
        let mut out = Vec::new();
        for (name, want) in &self.headers {
            let got = req.header(name);
            match (want, got) {
                (Some(w), Some(g)) if w.matches(&g) => {}
                (Some(w), Some(g)) => {
                    out.push(format!("different {name}: expected `{w}`, got `{g}`"));
                }
                (Some(w), None) => {
                    out.push(format!("missing header {name} (expected `{w}`)"));
                }
                (None, Some(g)) => {
                    out.push(format!(
                        "extra header {name}: `{g}` (expected it not to be sent)"
                    ));
                }
                (None, None) => {}
            }
        }
        out
    }
}

fn param_map(params: &[(&str, &str)]) -> Result<BTreeMap<String, ParamValues>, String> {
    let mut out: BTreeMap<String, ParamValues> = BTreeMap::new();
    for (k, v) in params {
        let t = Template::parse(v)?;
        let entry = match out.remove(*k) {
            None => ParamValues::One(t),
            Some(ParamValues::One(a)) => ParamValues::Many(vec![a, t]),
            Some(ParamValues::Many(mut m)) => {
                m.push(t);
                ParamValues::Many(m)
            }
        };
        out.insert((*k).to_string(), entry);
    }
    Ok(out)
}

/// Requests that must come in this order (others may come between).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// A name for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expectation names, in order.
    pub steps: Vec<String>,
}

/// What to do with requests no expectation matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unexpected {
    /// Report them, but verification can still pass (wiremock's default).
    #[default]
    Allow,
    /// Any unexpected request fails verification.
    Fail,
}

/// An expectation file: what one client sends in one scenario.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectationFile {
    /// The scenario's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The client and version it describes (`kubectl v1.37.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// What the client was asked to do, and where the sequence comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Captured recordings this file was checked against, relative to
    /// `../shared/clients/requests/` (`fake/kubectl__a_list_json.jsonl`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captured: Vec<String>,
    /// Whether requests no expectation matches fail verification.
    #[serde(default)]
    pub unexpected: Unexpected,
    /// Whether the expectations, in file order, also form one sequence.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ordered: bool,
    /// The expected requests.
    #[serde(default)]
    pub expectations: Vec<Expectation>,
    /// Order constraints, by expectation name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequences: Vec<Sequence>,
}

impl ExpectationFile {
    /// Parses YAML (JSON is YAML too).
    ///
    /// # Errors
    /// Malformed YAML, unknown fields, bad placeholders, a sequence naming
    /// an unknown expectation.
    pub fn from_yaml(text: &str) -> Result<ExpectationFile, String> {
        let f: ExpectationFile = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        f.validate()?;
        Ok(f)
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    /// As [`ExpectationFile::from_yaml`], prefixed with the path.
    pub fn read(path: &std::path::Path) -> Result<ExpectationFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        ExpectationFile::from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn validate(&self) -> Result<(), String> {
        for e in &self.expectations {
            e.validate()?;
        }
        self.resolved_sequences().map(|_| ())
    }

    /// Sequences as indices into `expectations`.
    pub(crate) fn resolved_sequences(&self) -> Result<Vec<(String, Vec<usize>)>, String> {
        let find = |name: &str| {
            self.expectations
                .iter()
                .position(|e| e.display_name() == name)
                .ok_or_else(|| format!("sequence step {name:?} names no expectation"))
        };
        let mut out = Vec::new();
        if self.ordered && self.expectations.len() > 1 {
            let name = self.name.clone().unwrap_or_else(|| "file order".into());
            out.push((name, (0..self.expectations.len()).collect()));
        }
        for (i, s) in self.sequences.iter().enumerate() {
            let steps = s.steps.iter().map(|n| find(n)).collect::<Result<_, _>>()?;
            let name = s
                .name
                .clone()
                .unwrap_or_else(|| format!("sequence {}", i + 1));
            out.push((name, steps));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, target: &str, headers: &[(&str, &str)]) -> RecordedRequest {
        RecordedRequest::synthetic(method, target, headers)
    }

    macro_rules! tmpl {
        ($t:expr, $s:expr => $ok:expr) => {
            assert_eq!(
                Template::parse($t).unwrap().matches($s),
                $ok,
                "{} vs {}",
                $t,
                $s
            )
        };
    }

    #[test]
    fn templates() {
        tmpl!("limit=500", "limit=500" => true);
        tmpl!("limit=500", "limit=5000" => false);
        tmpl!("timeoutSeconds={int:300..599}", "timeoutSeconds=375" => true);
        tmpl!("timeoutSeconds={int:300..599}", "timeoutSeconds=600" => false);
        tmpl!("timeoutSeconds={int:300..599}", "timeoutSeconds=299" => false);
        tmpl!("timeoutSeconds={int:300..599}", "timeoutSeconds=" => false);
        tmpl!("timeout={duration}", "timeout=32s" => true);
        tmpl!("timeout={duration}", "timeout=1m0s" => true);
        tmpl!("timeout={duration}", "timeout=1.5ms" => true);
        tmpl!("timeout={duration}", "timeout=32" => false);
        tmpl!("timeout={duration}", "timeout=s" => false);
        tmpl!("rv={rv}&watch=true", "rv=100&watch=true" => true);
        tmpl!("rv={rv}&watch=true", "rv=&watch=true" => false);
        tmpl!("rv={rv}&watch=true", "rv=1a&watch=true" => false);
        tmpl!("a={any}&b=1", "a=x&y&b=1" => true);
        tmpl!("a={any}", "a=" => true);
        tmpl!("w={bool}", "w=True" => true);
        tmpl!("w={bool}", "w=yes" => false);
        tmpl!("{{literal}", "{literal}" => true);
        tmpl!("", "" => true);
        assert!(Template::parse("{nope}")
            .unwrap_err()
            .contains("unknown placeholder {nope}"));
        assert!(Template::parse("{int:1-2}").is_err());
        assert!(Template::parse("{rv").is_err());
    }

    /// The old backtracking matcher: exponential, but obviously right; the
    /// oracle for the linear one.
    fn backtrack(tokens: &[Token], s: &str) -> bool {
        match tokens.split_first() {
            None => s.is_empty(),
            Some((Token::Lit(l), rest)) => s
                .strip_prefix(l.as_str())
                .is_some_and(|tail| backtrack(rest, tail)),
            Some((Token::Ph(ph), rest)) => (0..=s.len())
                .filter(|&end| s.is_char_boundary(end))
                .any(|end| ph.accepts(&s[..end]) && backtrack(rest, &s[end..])),
        }
    }

    #[test]
    fn linear_matcher_agrees_with_backtracking_on_seeded_templates() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        let pieces = [
            "{any}",
            "{rv}",
            "{int}",
            "{int:-5..12}",
            "{int:0..0}",
            "{int:300..599}",
            "{int:..-1}",
            "{duration}",
            "{bool}",
            "{{",
            "a",
            "-",
            "0",
            "1",
            "/",
            "m",
            "s",
        ];
        let alphabet = [
            "0", "1", "7", "9", "-", "+", ".", "a", "/", "m", "s", "n", "u", "µ", "h", "T", "e",
            "{", "x", "00", "true", "1m", "5s", "300",
        ];
        let mut rng = StdRng::seed_from_u64(14);
        let mut matched = 0;
        for _ in 0..20_000 {
            let t: String = (0..rng.random_range(0..5))
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect();
            let subject: String = (0..rng.random_range(0..7))
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let tmpl = Template::parse(&t).unwrap();
            let want = backtrack(&tmpl.tokens, &subject);
            assert_eq!(tmpl.matches(&subject), want, "{t:?} vs {subject:?}");
            matched += usize::from(want);
        }
        assert!(
            matched > 1000,
            "the seeded cases must also match: {matched}"
        );
    }

    #[test]
    fn placeholders_accept_what_they_did() {
        for (t, s, ok) in [
            ("{int}", "-9223372036854775808", true),
            ("{int}", "-9223372036854775809", false),
            ("{int}", "9223372036854775807", true),
            ("{int}", "9223372036854775808", false),
            (
                "{int}",
                "000000000000000000000000000000000000000000009",
                true,
            ),
            ("{int}", "-0", true),
            ("{int}", "+5", false),
            ("{int}", "-", false),
            ("{int:1..}", "0000", false),
            ("{int:..0}", "0000", true),
            ("{duration}", "0", true),
            ("{duration}", "-0", true),
            ("{duration}", "+", false),
            ("{duration}", "1.5µs", true),
            ("{duration}", "1h2m3.5s", true),
            ("{duration}", "1m", true),
            ("{duration}", "1ms", true),
            ("{duration}", ".5s", true),
            ("{duration}", "5.s", true),
            ("{duration}", ".s", false),
            ("{duration}", "1.2.3s", false),
            ("{duration}", "00", false),
            ("{duration}", "1", false),
            ("{bool}", "FALSE", true),
            ("{rv}{rv}", "12", true),
            ("{rv}{rv}", "1", false),
            ("{int:0..5}{int:20..30}", "123", true),
            ("é{any}é", "éé", true),
        ] {
            tmpl!(t, s => ok);
            let p = Template::parse(t).unwrap();
            assert_eq!(backtrack(&p.tokens, s), ok, "oracle: {t} vs {s}");
        }
    }

    /// Issue 14: `/{any}` twelve times then `x` backtracked exponentially
    /// and wedged the server. Run in a thread so that a regression fails
    /// the test at the deadline instead of hanging the suite.
    #[test]
    fn many_any_placeholders_match_in_linear_time() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut results = Vec::new();
            for ph in ["{any}", "{int}", "{rv}", "{duration}", "{bool}"] {
                let t = Template::parse(&format!("/{}x", ph.repeat(40))).unwrap();
                results.push(t.matches(&format!("/{}", "1".repeat(4000))));
                results.push(t.matches(&format!("/{}x", "0".repeat(4000))));
            }
            let _ = tx.send(results);
        });
        let results = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("matching 40 placeholders against 4000 bytes must finish");
        // No x at the end: no match; with it: every placeholder but {bool}
        // (at most 40 one-byte words) can cover 4000 zeros.
        assert_eq!(
            results,
            [false, true, false, true, false, true, false, false, false, false]
        );
    }

    #[test]
    fn exact_query_diffs_in_words() {
        let e = Expectation::new("GET", "/api/v1/namespaces/default/configmaps")
            .unwrap()
            .query_exact("allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds={int:300..599}&watch=true")
            .unwrap();
        let ok = req("GET", "/api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=474&watch=true", &[]);
        assert!(e.matches(&ok));
        let reordered = req("GET", "/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=474", &[]);
        assert_eq!(
            e.diff(&reordered),
            ["different order: expected allowWatchBookmarks, resourceVersion, timeoutSeconds, watch, got watch, allowWatchBookmarks, resourceVersion, timeoutSeconds"]
        );
        let changed = req("GET", "/api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersion=0&sendInitialEvents=true&timeoutSeconds=1000&watch=true", &[]);
        assert_eq!(
            e.diff(&changed),
            [
                "different value for timeoutSeconds: expected {int:300..599}, got 1000",
                "extra parameter sendInitialEvents=true",
            ]
        );
        let missing = req(
            "GET",
            "/api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&watch=true",
            &[],
        );
        assert_eq!(
            e.diff(&missing),
            [
                "missing parameter resourceVersion (expected resourceVersion={rv})",
                "missing parameter timeoutSeconds (expected timeoutSeconds={int:300..599})",
            ]
        );
        let kube_rs = Expectation::new("GET", "/p")
            .unwrap()
            .query_exact("watch=true")
            .unwrap();
        assert_eq!(
            kube_rs.diff(&req("GET", "/p?&watch=true", &[])),
            ["different query string (same parameters, same order; encoding or separators differ): expected `watch=true`, got `&watch=true`"]
        );
    }

    #[test]
    fn param_set_and_subset() {
        let e = Expectation::new("GET", "/p")
            .unwrap()
            .query_params(&[("watch", "true"), ("resourceVersion", "{rv}")])
            .unwrap();
        assert!(e.matches(&req("GET", "/p?resourceVersion=3&watch=true", &[])));
        assert!(e.matches(&req("GET", "/p?&watch=true&resourceVersion=3", &[])));
        assert_eq!(
            e.diff(&req("GET", "/p?watch=true&limit=5", &[])),
            [
                "missing parameter resourceVersion (expected resourceVersion={rv})",
                "extra parameter limit=5"
            ]
        );
        let s = Expectation::new("GET", "/p")
            .unwrap()
            .query_subset(&[("watch", "{bool}")])
            .unwrap();
        assert!(s.matches(&req("GET", "/p?watch=True&limit=5", &[])));
        assert_eq!(
            s.diff(&req("GET", "/p?limit=5", &[])),
            ["missing parameter watch (expected watch={bool})"]
        );
        let repeated = Expectation::new("GET", "/exec")
            .unwrap()
            .query_params(&[("command", "echo"), ("command", "hi")])
            .unwrap();
        assert!(repeated.matches(&req("GET", "/exec?command=echo&command=hi", &[])));
        assert_eq!(
            repeated.diff(&req("GET", "/exec?command=hi&command=echo", &[])),
            [
                "different value for command: expected echo, got hi",
                "different value for command: expected hi, got echo"
            ]
        );
    }

    #[test]
    fn headers_and_method() {
        let e = Expectation::new("GET", "/p")
            .unwrap()
            .header("Accept", Some("application/json"))
            .unwrap()
            .header("Content-Type", None)
            .unwrap();
        assert!(e.matches(&req("GET", "/p", &[("accept", "application/json")])));
        assert_eq!(
            e.diff(&req(
                "POST",
                "/q",
                &[("Accept", "*/*"), ("Content-Type", "application/json")]
            )),
            [
                "different method: expected GET, got POST",
                "different path: expected /p, got /q",
                "different Accept: expected `application/json`, got `*/*`",
                "extra header Content-Type: `application/json` (expected it not to be sent)",
            ]
        );
        assert_eq!(
            e.diff(&req("GET", "/p", &[])),
            ["missing header Accept (expected `application/json`)"]
        );
    }

    #[test]
    fn files_parse_and_validate() {
        let f = ExpectationFile::from_yaml(
            r#"
name: demo
unexpected: fail
expectations:
  - name: list
    path: /api/v1/namespaces/default/configmaps
    query: {params: {limit: 500}}
    headers: {Accept: application/json, Content-Type: ~}
    times: once
  - name: watch
    path: /api/v1/namespaces/default/configmaps
    query: "resourceVersion={rv}&watch=true"
    times: {at_least: 1}
    respond: {status: 422, message: no}
sequences:
  - steps: [list, watch]
"#,
        )
        .unwrap();
        assert_eq!(f.unexpected, Unexpected::Fail);
        assert_eq!(f.expectations[0].times, Times::ONCE);
        assert_eq!(f.expectations[1].times, Times::at_least(1));
        assert_eq!(f.resolved_sequences().unwrap()[0].1, vec![0, 1]);
        let bad =
            ExpectationFile::from_yaml("expectations: [{path: /p}]\nsequences: [{steps: [x]}]");
        assert_eq!(bad.unwrap_err(), "sequence step \"x\" names no expectation");
        let bad = ExpectationFile::from_yaml("expectations: [{path: '/p/{foo}'}]").unwrap_err();
        assert!(bad.contains("unknown placeholder {foo}"), "{bad}");
        let bad =
            ExpectationFile::from_yaml("expectations: [{path: /p, times: twice}]").unwrap_err();
        assert!(bad.contains("not once, never"), "{bad}");
        // Round trip through JSON (the control API's form).
        let json = serde_json::to_string(&f).unwrap();
        let back: ExpectationFile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
    }
}
