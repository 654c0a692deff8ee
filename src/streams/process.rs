//! The "process" behind an exec: a scripted rule, or one of the built-in
//! commands tests use most (`echo`, `cat`, `true`, `false`, `sh -c`, `env`,
//! `hostname`, `sleep`, `date`, `printf`, `test`, `ls`, `mkdir`, `pwd`,
//! `stty size`, and `tar` over the container's virtual filesystem so that
//! `kubectl cp` works both ways: `tar cf - PATH` and `tar -xmf - -C DIR`,
//! see `kubectl/pkg/cmd/cp/cp.go`). Texts of the built-ins follow GNU
//! coreutils, GNU tar and dash (UNVERIFIED: written from their usual
//! output, not from a recording).

use super::script::{ExecRule, StdinMode};
use super::vfs::{normalize, Vfs};
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Output of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes on stdout.
    Stdout(Bytes),
    /// Bytes on stderr.
    Stderr(Bytes),
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It exited with this code.
    Exit(i32),
    /// The executable does not exist in the container (the runtime's
    /// error, not an exit code).
    NotFound(String),
    /// The client went away.
    Gone,
}

/// The process's end of the streams.
#[derive(Debug)]
pub struct Io {
    /// Stdin chunks; closed at EOF (or when stdin was not requested).
    pub stdin: mpsc::Receiver<Bytes>,
    /// Output.
    pub out: mpsc::Sender<Output>,
    /// The terminal size `(cols, rows)` once the client sent one.
    pub size: watch::Receiver<Option<(u16, u16)>>,
    /// A terminal is attached.
    pub tty: bool,
}

/// What a process knows about its container.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Pod name (the hostname).
    pub pod: String,
    /// The environment, in order.
    pub env: Vec<(String, String)>,
    /// The container's files.
    pub fs: Arc<Mutex<Vfs>>,
}

/// The client went away (output could not be sent).
pub(crate) struct Gone;

pub(crate) type R<T = ()> = Result<T, Gone>;

impl Io {
    pub(crate) async fn out(&self, data: impl Into<Bytes>) -> R {
        let d = data.into();
        if d.is_empty() {
            return Ok(());
        }
        self.out.send(Output::Stdout(d)).await.map_err(|_| Gone)
    }
    pub(crate) async fn err(&self, data: impl Into<Bytes>) -> R {
        let d = data.into();
        if d.is_empty() {
            return Ok(());
        }
        self.out.send(Output::Stderr(d)).await.map_err(|_| Gone)
    }
    /// The last terminal size the client sent.
    fn current_size(&self) -> Option<(u16, u16)> {
        *self.size.borrow()
    }
    /// All of stdin, to EOF.
    pub(crate) async fn read_all(&mut self) -> Vec<u8> {
        let mut v = Vec::new();
        while let Some(c) = self.stdin.recv().await {
            v.extend_from_slice(&c);
        }
        v
    }
}

/// Runs a scripted rule.
pub async fn run_rule(rule: &ExecRule, io: &mut Io) -> Outcome {
    match run_rule_inner(rule, io).await {
        Ok(code) => Outcome::Exit(code),
        Err(Gone) => Outcome::Gone,
    }
}

async fn run_rule_inner(rule: &ExecRule, io: &mut Io) -> R<i32> {
    match rule.stdin {
        StdinMode::Ignore => {}
        StdinMode::Echo => {
            while let Some(c) = io.stdin.recv().await {
                io.out(c).await?;
            }
        }
        StdinMode::Consume => {
            io.read_all().await;
        }
    }
    for c in &rule.output {
        if !c.delay.is_zero() {
            tokio::time::sleep(c.delay).await;
        }
        let data = Bytes::from(c.data.clone().into_bytes());
        if c.stderr {
            io.err(data).await?;
        } else {
            io.out(data).await?;
        }
    }
    Ok(rule.exit)
}

/// Runs a built-in command (or reports the executable missing).
pub async fn run_builtin(ctx: &Ctx, argv: &[String], io: &mut Io) -> Outcome {
    match builtin(ctx, argv, io).await {
        Ok(Some(code)) => Outcome::Exit(code),
        Ok(None) => Outcome::NotFound(argv.first().cloned().unwrap_or_default()),
        Err(Gone) => Outcome::Gone,
    }
}

fn base(cmd: &str) -> &str {
    cmd.rsplit('/').next().unwrap_or(cmd)
}

/// `Ok(None)`: no such command.
fn builtin<'a>(
    ctx: &'a Ctx,
    argv: &'a [String],
    io: &'a mut Io,
) -> Pin<Box<dyn Future<Output = R<Option<i32>>> + Send + 'a>> {
    Box::pin(async move {
        let Some(cmd) = argv.first() else {
            return Ok(None);
        };
        let args = &argv[1..];
        let code = match base(cmd) {
            "true" | ":" => 0,
            "false" => 1,
            "echo" => {
                let (newline, words) = match args.first().map(String::as_str) {
                    Some("-n") => (false, &args[1..]),
                    _ => (true, args),
                };
                let mut s = words.join(" ");
                if newline {
                    s.push('\n');
                }
                io.out(s).await?;
                0
            }
            "printf" => match args.split_first() {
                Some((fmt, rest)) => {
                    io.out(printf(fmt, rest)).await?;
                    0
                }
                None => {
                    io.err("printf: usage: printf format [arguments]\n").await?;
                    2
                }
            },
            "cat" => cat(ctx, args, io).await?,
            "hostname" => {
                io.out(format!("{}\n", ctx.pod)).await?;
                0
            }
            "env" | "printenv" => {
                let mut s = String::new();
                for (k, v) in &ctx.env {
                    s.push_str(&format!("{k}={v}\n"));
                }
                io.out(s).await?;
                0
            }
            "pwd" => {
                io.out("/\n").await?;
                0
            }
            "date" => {
                io.out(format!(
                    "{}\n",
                    chrono::Utc::now().format("%a %b %e %H:%M:%S UTC %Y")
                ))
                .await?;
                0
            }
            "sleep" => {
                let secs: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(-1.0);
                if !(0.0..=86400.0).contains(&secs) {
                    io.err(format!(
                        "sleep: invalid time interval '{}'\n",
                        args.first().map(String::as_str).unwrap_or("")
                    ))
                    .await?;
                    1
                } else {
                    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                    0
                }
            }
            "test" | "[" => {
                let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
                if base(cmd) == "[" && a.last() == Some(&"]") {
                    a.pop();
                }
                let fs = ctx.fs.lock().unwrap_or_else(|p| p.into_inner());
                let t = match a.as_slice() {
                    ["-d", p] => fs.is_dir(&normalize("/", p)),
                    ["-f", p] => fs.read(&normalize("/", p)).is_some(),
                    ["-e", p] => {
                        let p = normalize("/", p);
                        fs.is_dir(&p) || fs.read(&p).is_some()
                    }
                    ["-n", s] => !s.is_empty(),
                    ["-z", s] => s.is_empty(),
                    [a, "=", b] => a == b,
                    [a, "!=", b] => a != b,
                    [s] => !s.is_empty(),
                    _ => false,
                };
                i32::from(!t)
            }
            "mkdir" => {
                let mut fs = ctx.fs.lock().unwrap_or_else(|p| p.into_inner());
                for a in args.iter().filter(|a| !a.starts_with('-')) {
                    fs.mkdir_p(&normalize("/", a));
                }
                0
            }
            "ls" => {
                let dirs: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                let dir = dirs.first().map(|s| s.as_str()).unwrap_or("/");
                let p = normalize("/", dir);
                let listing = {
                    let fs = ctx.fs.lock().unwrap_or_else(|p| p.into_inner());
                    if fs.is_dir(&p) {
                        Some(fs.list(&p))
                    } else if fs.read(&p).is_some() {
                        Some(vec![dir.to_string()])
                    } else {
                        None
                    }
                };
                match listing {
                    Some(names) => {
                        io.out(names.iter().map(|n| format!("{n}\n")).collect::<String>())
                            .await?;
                        0
                    }
                    None => {
                        io.err(format!(
                            "ls: cannot access '{dir}': No such file or directory\n"
                        ))
                        .await?;
                        2
                    }
                }
            }
            "stty" => match (args.first().map(String::as_str), io.current_size()) {
                (Some("size"), Some((cols, rows))) if io.tty => {
                    io.out(format!("{rows} {cols}\n")).await?;
                    0
                }
                _ => {
                    io.err("stty: 'standard input': Inappropriate ioctl for device\n")
                        .await?;
                    1
                }
            },
            "tar" => super::tar::run(ctx, args, io).await?,
            "sh" | "bash" | "ash" | "dash" => sh(ctx, args, io).await?,
            _ => return Ok(None),
        };
        Ok(Some(code))
    })
}

async fn cat(ctx: &Ctx, args: &[String], io: &mut Io) -> R<i32> {
    let files: Vec<&String> = args.iter().filter(|a| *a != "-u").collect();
    if files.is_empty() || files.iter().all(|f| *f == "-") {
        while let Some(c) = io.stdin.recv().await {
            io.out(c).await?;
        }
        return Ok(0);
    }
    let mut code = 0;
    for f in files {
        let data = {
            let fs = ctx.fs.lock().unwrap_or_else(|p| p.into_inner());
            let p = normalize("/", f);
            if fs.is_dir(&p) {
                Err("Is a directory")
            } else {
                fs.read(&p)
                    .map(|d| d.to_vec())
                    .ok_or("No such file or directory")
            }
        };
        match data {
            Ok(d) => io.out(d).await?,
            Err(e) => {
                io.err(format!("cat: {f}: {e}\n")).await?;
                code = 1;
            }
        }
    }
    Ok(code)
}

/// `printf FORMAT ARGS...`: `%s`, `%d`, `%%`, `\n`, `\t`, `\\`; the format
/// is reused while arguments remain (as bash does).
pub fn printf(fmt: &str, args: &[String]) -> String {
    let mut out = String::new();
    let mut i = 0;
    loop {
        let mut used = false;
        let mut chars = fmt.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('\\') => out.push('\\'),
                    Some(o) => {
                        out.push('\\');
                        out.push(o);
                    }
                    None => out.push('\\'),
                },
                '%' => match chars.next() {
                    Some('%') => out.push('%'),
                    Some('s') => {
                        out.push_str(args.get(i).map(String::as_str).unwrap_or(""));
                        i += 1;
                        used = true;
                    }
                    Some('d') => {
                        let v = args.get(i).and_then(|a| a.parse::<i64>().ok()).unwrap_or(0);
                        out.push_str(&v.to_string());
                        i += 1;
                        used = true;
                    }
                    Some(o) => {
                        out.push('%');
                        out.push(o);
                    }
                    None => out.push('%'),
                },
                c => out.push(c),
            }
        }
        if !used || i >= args.len() {
            break;
        }
    }
    out
}

/// A shell token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    And,
    Or,
    Semi,
    Pipe,
}

/// Splits a `sh -c` script into words and operators: quotes, backslashes,
/// `$VAR`/`${VAR}` expansion (`$?` is the status before the script).
fn lex(s: &str, env: &[(String, String)], last: i32) -> Result<Vec<Tok>, String> {
    let lookup = |name: &str| -> String {
        if name == "?" {
            return last.to_string();
        }
        env.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut toks = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut it = s.chars().peekable();
    fn var(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
        let mut name = String::new();
        if it.peek() == Some(&'{') {
            it.next();
            for c in it.by_ref() {
                if c == '}' {
                    break;
                }
                name.push(c);
            }
            return name;
        }
        if it.peek() == Some(&'?') {
            it.next();
            return "?".into();
        }
        while let Some(&c) = it.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                name.push(c);
                it.next();
            } else {
                break;
            }
        }
        name
    }
    while let Some(c) = it.next() {
        match c {
            '\'' => {
                has = true;
                loop {
                    match it.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("Syntax error: Unterminated quoted string".into()),
                    }
                }
            }
            '"' => {
                has = true;
                loop {
                    match it.next() {
                        Some('"') => break,
                        Some('\\') => match it.next() {
                            Some(c @ ('"' | '\\' | '$')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("Syntax error: Unterminated quoted string".into()),
                        },
                        Some('$') => {
                            let n = var(&mut it);
                            cur.push_str(&lookup(&n));
                        }
                        Some(c) => cur.push(c),
                        None => return Err("Syntax error: Unterminated quoted string".into()),
                    }
                }
            }
            '\\' => {
                if let Some(c) = it.next() {
                    cur.push(c);
                    has = true;
                }
            }
            '$' => {
                let n = var(&mut it);
                cur.push_str(&lookup(&n));
                has = true;
            }
            ' ' | '\t' | '\n' | ';' | '&' | '|' => {
                if has {
                    toks.push(Tok::Word(std::mem::take(&mut cur)));
                    has = false;
                }
                match c {
                    ';' | '\n' => toks.push(Tok::Semi),
                    '&' if it.peek() == Some(&'&') => {
                        it.next();
                        toks.push(Tok::And);
                    }
                    '&' => return Err("background jobs (&) are not supported".into()),
                    '|' if it.peek() == Some(&'|') => {
                        it.next();
                        toks.push(Tok::Or);
                    }
                    '|' => toks.push(Tok::Pipe),
                    _ => {}
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        toks.push(Tok::Word(cur));
    }
    Ok(toks)
}

/// `sh -c SCRIPT`: lists of simple commands joined by `;`, `&&`, `||`,
/// with `exit N`; every command is a built-in. Pipelines are refused.
async fn sh(ctx: &Ctx, args: &[String], io: &mut Io) -> R<i32> {
    let script = match args {
        [c, s, ..] if c == "-c" => s.clone(),
        [] => {
            // An interactive shell without a terminal reads commands from
            // stdin, one line at a time.
            let input = io.read_all().await;
            String::from_utf8_lossy(&input).into_owned()
        }
        _ => {
            io.err(format!("sh: 0: cannot open {}: No such file\n", args[0]))
                .await?;
            return Ok(2);
        }
    };
    // Lex once to find the operators; words are re-expanded per command
    // so `$?` sees the last status.
    let mut last = 0;
    let toks = match lex(&script, &ctx.env, last) {
        Ok(t) => t,
        Err(e) => {
            io.err(format!("sh: 1: {e}\n")).await?;
            return Ok(2);
        }
    };
    if toks.contains(&Tok::Pipe) {
        io.err("sh: 1: pipelines are not supported by kubemock's sh\n")
            .await?;
        return Ok(2);
    }
    let mut cmds: Vec<(Option<Tok>, Vec<String>)> = Vec::new();
    let mut op: Option<Tok> = None;
    let mut words = Vec::new();
    for t in toks {
        match t {
            Tok::Word(w) => words.push(w),
            o => {
                cmds.push((op.take(), std::mem::take(&mut words)));
                op = Some(o);
            }
        }
    }
    cmds.push((op, words));
    let _ = &mut last;
    for (op, words) in cmds {
        match op {
            Some(Tok::And) if last != 0 => continue,
            Some(Tok::Or) if last == 0 => continue,
            _ => {}
        }
        if words.is_empty() {
            continue;
        }
        if words[0] == "exit" {
            let code = words
                .get(1)
                .map(|w| w.parse::<i64>().unwrap_or(2))
                .unwrap_or(last as i64);
            return Ok((code & 0xff) as i32);
        }
        last = match builtin(ctx, &words, io).await? {
            Some(c) => c,
            None => {
                io.err(format!("sh: 1: {}: not found\n", words[0])).await?;
                127
            }
        };
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io() -> (Io, mpsc::Sender<Bytes>, mpsc::Receiver<Output>) {
        let (in_tx, in_rx) = mpsc::channel(8);
        let (out_tx, out_rx) = mpsc::channel(64);
        let (_s, size) = watch::channel(None);
        (
            Io {
                stdin: in_rx,
                out: out_tx,
                size,
                tty: false,
            },
            in_tx,
            out_rx,
        )
    }

    fn ctx() -> Ctx {
        Ctx {
            pod: "p1".into(),
            env: vec![("A".into(), "1".into())],
            fs: Arc::new(Mutex::new(Vfs::default())),
        }
    }

    async fn run(argv: &[&str]) -> (Outcome, String, String) {
        let (mut io, tx, mut rx) = io();
        drop(tx);
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let o = run_builtin(&ctx(), &argv, &mut io).await;
        drop(io);
        let (mut out, mut err) = (String::new(), String::new());
        while let Some(x) = rx.recv().await {
            match x {
                Output::Stdout(b) => out.push_str(&String::from_utf8_lossy(&b)),
                Output::Stderr(b) => err.push_str(&String::from_utf8_lossy(&b)),
            }
        }
        (o, out, err)
    }

    #[tokio::test]
    async fn builtins_answer_like_a_shell() {
        assert_eq!(run(&["echo", "hi"]).await.1, "hi\n");
        assert_eq!(run(&["sh", "-c", "exit 3"]).await.0, Outcome::Exit(3));
        assert_eq!(run(&["false"]).await.0, Outcome::Exit(1));
        assert_eq!(run(&["/bin/true"]).await.0, Outcome::Exit(0));
        assert_eq!(run(&["hostname"]).await.1, "p1\n");
        assert_eq!(
            run(&["sh", "-c", "echo \"$A\" x; false || echo ok"])
                .await
                .1,
            "1 x\nok\n"
        );
        assert_eq!(
            run(&["sh", "-c", "false && echo no; echo yes"]).await.1,
            "yes\n"
        );
        let (o, _, e) = run(&["sh", "-c", "nope"]).await;
        assert_eq!(
            (o, e.as_str()),
            (Outcome::Exit(127), "sh: 1: nope: not found\n")
        );
        assert_eq!(run(&["vtysh"]).await.0, Outcome::NotFound("vtysh".into()));
        assert_eq!(
            run(&["printf", "%s-%d\\n", "a", "1", "b", "2"]).await.1,
            "a-1\nb-2\n"
        );
        assert_eq!(run(&["test", "-d", "/tmp"]).await.0, Outcome::Exit(0));
        assert_eq!(run(&["test", "-d", "/nope"]).await.0, Outcome::Exit(1));
        let (o, _, e) = run(&["cat", "/x"]).await;
        assert_eq!(
            (o, e.as_str()),
            (Outcome::Exit(1), "cat: /x: No such file or directory\n")
        );
        assert_eq!(
            run(&["sh", "-c", "echo 'unterminated"]).await.0,
            Outcome::Exit(2)
        );
    }
}
