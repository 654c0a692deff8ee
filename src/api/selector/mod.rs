//! Label and field selectors, as kube-apiserver parses, checks and applies them.
//!
//! This module owns the `labelSelector` and `fieldSelector` query parameters:
//! parsing (with the exact Go error texts that end up in the 400 BadRequest
//! `Status.message`), the per-resource field-label tables, and matching an
//! object against a selector.
//!
//! - [`label`] mirrors `k8s.io/apimachinery/pkg/labels/selector.go` (`labels.Parse`).
//! - [`field`] mirrors `k8s.io/apimachinery/pkg/fields/selector.go`
//!   (`fields.ParseSelector`), the field label conversion funcs registered in
//!   `pkg/apis/*/v1/conversion.go` and the `ToSelectableFields` helpers of
//!   `pkg/registry/*/*/strategy.go`.
//!
//! Only `std` and `serde_json` are used; nothing else in the crate is referenced.

pub mod field;
pub mod label;

pub use field::FieldSelector;
pub use label::LabelSelector;

/// Quotes `s` as Go's `strconv.Quote` / `fmt.Sprintf("%q", s)` does.
///
/// Printable runes are kept, `"` and `\` are backslash-escaped, the usual
/// C escapes (`\a \b \f \n \r \t \v`) are used, other control bytes become
/// `\xHH`, and other non-printable runes become `\uHHHH` / `\UHHHHHHHH`.
/// UNVERIFIED: Go's `unicode.IsPrint` uses full Unicode tables; this
/// approximation treats unassigned code points as printable.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_go_print(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Approximates Go's `unicode.IsPrint`: letters, marks, numbers, punctuation,
/// symbols and the ASCII space. Controls, other spaces, format characters,
/// private-use code points and non-characters are not printable.
fn is_go_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Unicode general category Cf (format characters).
    const FORMAT: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    if FORMAT.iter().any(|&(lo, hi)| (lo..=hi).contains(&u)) {
        return false;
    }
    // Private use (Co) and non-characters.
    if (0xE000..=0xF8FF).contains(&u) || u >= 0xF0000 {
        return false;
    }
    if (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::go_quote;

    macro_rules! quote_case {
        ($input:expr, $want:expr) => {
            assert_eq!(go_quote($input), $want, "input {:?}", $input);
        };
    }

    #[test]
    fn go_quote_matches_strconv_quote() {
        quote_case!("", "\"\"");
        quote_case!("abc", "\"abc\"");
        quote_case!("a\"b", "\"a\\\"b\"");
        quote_case!("a\\b", "\"a\\\\b\"");
        quote_case!("\t\n\r", "\"\\t\\n\\r\"");
        quote_case!("\u{1}", "\"\\x01\"");
        quote_case!("\u{7f}", "\"\\x7f\"");
        quote_case!("\u{7}\u{8}\u{b}\u{c}", "\"\\a\\b\\v\\f\"");
        quote_case!("héllo ☃", "\"héllo ☃\"");
        quote_case!("\u{a0}", "\"\\u00a0\"");
        quote_case!("\u{200b}", "\"\\u200b\"");
        quote_case!("\u{feff}", "\"\\ufeff\"");
        quote_case!("\u{f0000}", "\"\\U000f0000\"");
        quote_case!("😀", "\"😀\"");
    }
}
