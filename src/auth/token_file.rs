//! `--token-auth-file`: static bearer tokens in kube-apiserver's CSV format
//! (`staging/src/k8s.io/apiserver/plugin/pkg/authenticator/token/tokenfile/tokenfile.go`):
//! `token,user,uid[,"group1,group2"]` per line; more columns are ignored,
//! an empty token is skipped and a repeated token's last line wins, as
//! there (the real server logs a warning for both). A line with fewer than
//! three columns or a broken quote stops start-up with `file:line: reason`.

use super::user::UserInfo;
use std::collections::HashMap;
use std::path::Path;

/// Reads and parses a token file.
pub fn read(path: &Path) -> anyhow::Result<HashMap<String, UserInfo>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("--token-auth-file {}: {e}", path.display()))?;
    parse(&text).map_err(|(line, reason)| anyhow::anyhow!("{}:{line}: {reason}", path.display()))
}

/// Parses the text; the error is (line, reason).
pub fn parse(text: &str) -> Result<HashMap<String, UserInfo>, (usize, String)> {
    let mut tokens = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            // encoding/csv skips empty lines.
            continue;
        }
        let record = split_csv(line).map_err(|e| (n, e))?;
        if record.len() < 3 {
            return Err((
                n,
                format!(
                    "must have at least 3 columns (token, user name, user uid), found {}",
                    record.len()
                ),
            ));
        }
        if record[0].is_empty() {
            continue;
        }
        let mut user = UserInfo {
            name: record[1].clone(),
            uid: record[2].clone(),
            ..Default::default()
        };
        if let Some(groups) = record.get(3) {
            user.groups = groups.split(',').map(str::to_string).collect();
        }
        tokens.insert(record[0].clone(), user);
    }
    Ok(tokens)
}

/// One CSV record (RFC 4180 quoting, as Go's `encoding/csv`).
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("extraneous or missing \" in quoted-field".into()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("extraneous or missing \" in quoted-field".into()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => {
                        fields.push(field);
                        break;
                    }
                    Some('"') => return Err("bare \" in non-quoted-field".into()),
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kube_apiserver_format() {
        let t = parse(
            "tok1,alice,1001,\"dev,ops\"\n\ntok2,bob,1002\n,skipped,3\ntok2,bob2,1003,x,extra\n",
        )
        .expect("parses");
        assert_eq!(t.len(), 2);
        assert_eq!(t["tok1"].name, "alice");
        assert_eq!(t["tok1"].uid, "1001");
        assert_eq!(t["tok1"].groups, vec!["dev", "ops"]);
        assert_eq!(t["tok2"].name, "bob2");
        assert_eq!(t["tok2"].groups, vec!["x"]);
    }

    #[test]
    fn bad_lines_name_line_and_reason() {
        assert_eq!(
            parse("a,b,c\nonly,two\n").expect_err("short"),
            (
                2,
                "must have at least 3 columns (token, user name, user uid), found 2".into()
            )
        );
        assert_eq!(parse("a,b,\"c\n").expect_err("quote").0, 1);
        assert_eq!(parse("a,b\"x,c\n").expect_err("bare").0, 1);
    }

    #[test]
    fn file_errors_carry_the_path() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("tokens.csv");
        std::fs::write(&p, "ok,u,1\nbad\n").expect("write");
        let e = read(&p).expect_err("bad").to_string();
        assert_eq!(
            e,
            format!(
                "{}:2: must have at least 3 columns (token, user name, user uid), found 1",
                p.display()
            )
        );
    }
}
