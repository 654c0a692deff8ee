//! The `tar` built-in over the virtual filesystem: enough of GNU tar for
//! `kubectl cp` (`tar cf - PATH` from a pod, `tar -xmf - [-C DIR]` into
//! one; `kubectl/pkg/cmd/cp/cp.go`). Messages are GNU tar's (UNVERIFIED:
//! from its usual output).

use super::process::{Ctx, Io, R};
use super::vfs::normalize;

/// Runs `tar ARGS`; the exit code.
pub(crate) async fn run(ctx: &Ctx, args: &[String], io: &mut Io) -> R<i32> {
    let mut create = false;
    let mut extract = false;
    let mut file: Option<String> = None;
    let mut dir = "/".to_string();
    let mut paths = Vec::new();
    let mut i = 0;
    let mut first = true;
    while i < args.len() {
        let a = &args[i];
        if a.starts_with("--") {
            // --no-same-permissions, --no-same-owner: nothing to do here.
        } else if a == "-C" {
            i += 1;
            dir = args.get(i).cloned().unwrap_or_default();
        } else if a.starts_with('-') || first {
            let flags = a.trim_start_matches('-');
            let mut wants_file = false;
            for c in flags.chars() {
                match c {
                    'c' => create = true,
                    'x' => extract = true,
                    'f' => wants_file = true,
                    'm' | 'v' | 'p' | 'o' => {}
                    c => {
                        io.err(format!("tar: invalid option -- '{c}'\nTry 'tar --help' or 'tar --usage' for more information.\n")).await?;
                        return Ok(2);
                    }
                }
            }
            if wants_file {
                i += 1;
                file = args.get(i).cloned();
            }
        } else {
            paths.push(a.clone());
        }
        first = false;
        i += 1;
    }
    if create == extract {
        io.err("tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\nTry 'tar --help' or 'tar --usage' for more information.\n").await?;
        return Ok(2);
    }
    if file.as_deref() != Some("-") {
        io.err("tar: kubemock's tar reads and writes only stdin/stdout (f -)\n")
            .await?;
        return Ok(2);
    }
    if create {
        create_archive(ctx, &paths, io).await
    } else {
        extract_archive(ctx, &dir, io).await
    }
}

async fn create_archive(ctx: &Ctx, paths: &[String], io: &mut Io) -> R<i32> {
    if paths.is_empty() {
        io.err("tar: Cowardly refusing to create an empty archive\nTry 'tar --help' or 'tar --usage' for more information.\n").await?;
        return Ok(2);
    }
    let mut builder = tar::Builder::new(Vec::new());
    let mut missing = false;
    let mut warned = false;
    {
        let fs = ctx.fs.lock().unwrap_or_else(|p| p.into_inner());
        for p in paths {
            let abs = normalize("/", p);
            let entries = fs.walk(&abs);
            if entries.is_empty() {
                missing = true;
                continue;
            }
            for (path, data) in entries {
                let mut name = path.trim_start_matches('/').to_string();
                if p.starts_with('/') && !warned {
                    warned = true;
                }
                let mut h = tar::Header::new_gnu();
                h.set_mtime(0);
                h.set_uid(0);
                h.set_gid(0);
                let res = match data {
                    None => {
                        name.push('/');
                        h.set_entry_type(tar::EntryType::Directory);
                        h.set_mode(0o755);
                        h.set_size(0);
                        builder.append_data(&mut h, &name, std::io::empty())
                    }
                    Some(d) => {
                        h.set_entry_type(tar::EntryType::Regular);
                        h.set_mode(0o644);
                        h.set_size(d.len() as u64);
                        builder.append_data(&mut h, &name, d)
                    }
                };
                if res.is_err() {
                    missing = true;
                }
            }
        }
    }
    if warned {
        io.err("tar: Removing leading `/' from member names\n")
            .await?;
    }
    let bytes = builder.into_inner().unwrap_or_default();
    for c in bytes.chunks(32 * 1024) {
        io.out(c.to_vec()).await?;
    }
    if missing {
        for p in paths {
            let abs = normalize("/", p);
            let exists = {
                let fs = ctx.fs.lock().unwrap_or_else(|p| p.into_inner());
                !fs.walk(&abs).is_empty()
            };
            if !exists {
                io.err(format!(
                    "tar: {}: Cannot stat: No such file or directory\n",
                    p.trim_start_matches('/')
                ))
                .await?;
            }
        }
        io.err("tar: Exiting with failure status due to previous errors\n")
            .await?;
        return Ok(2);
    }
    Ok(0)
}

async fn extract_archive(ctx: &Ctx, dir: &str, io: &mut Io) -> R<i32> {
    let root = normalize("/", dir);
    let input = io.read_all().await;
    let root_exists = ctx
        .fs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_dir(&root);
    {
        if !root_exists {
            io.err(format!(
                "tar: {dir}: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n"
            ))
            .await?;
            return Ok(2);
        }
    }
    let (files, warnings, fatal) = read_archive(&input, &root);
    if !warnings.is_empty() {
        io.err(warnings).await?;
    }
    if let Some(f) = fatal {
        io.err(f).await?;
        return Ok(2);
    }
    let mut fs = ctx.fs.lock().unwrap_or_else(|p| p.into_inner());
    for (path, data) in files {
        match data {
            None => fs.mkdir_p(&path),
            Some(d) => fs.write(&path, d),
        }
    }
    Ok(0)
}

type Members = Vec<(String, Option<Vec<u8>>)>;

/// Reads an archive into members under `root` (synchronous: `tar` types
/// are not `Send`): members, warnings text, fatal error text.
fn read_archive(input: &[u8], root: &str) -> (Members, String, Option<String>) {
    let mut files = Vec::new();
    let mut warnings = String::new();
    let mut archive = tar::Archive::new(input);
    let eof = "tar: Unexpected EOF in archive\ntar: Error is not recoverable: exiting now\n";
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(_) => {
            return (
                files,
                warnings,
                Some("tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous errors\n".into()),
            )
        }
    };
    for entry in entries {
        let Ok(mut entry) = entry else {
            return (files, warnings, Some(eof.into()));
        };
        let Ok(name) = entry.path().map(|p| p.to_string_lossy().into_owned()) else {
            continue;
        };
        if name.split('/').any(|c| c == "..") {
            warnings.push_str(&format!("tar: {name}: Member name contains '..'\n"));
            continue;
        }
        let target = normalize(root, name.trim_start_matches('/'));
        match entry.header().entry_type() {
            tar::EntryType::Directory => files.push((target, None)),
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut data = Vec::new();
                if std::io::Read::read_to_end(&mut entry, &mut data).is_err() {
                    return (files, warnings, Some(eof.into()));
                }
                files.push((target, Some(data)));
            }
            _ => {}
        }
    }
    (files, warnings, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_round_trip_and_refuse_garbage() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        b.append_data(&mut h, "d/f.txt", &b"hi"[..]).unwrap();
        let bytes = b.into_inner().unwrap();
        let (files, w, fatal) = read_archive(&bytes, "/tmp");
        assert!(w.is_empty() && fatal.is_none());
        assert_eq!(
            files,
            vec![("/tmp/d/f.txt".to_string(), Some(b"hi".to_vec()))]
        );
        let (_, _, fatal) = read_archive(&bytes[..700], "/");
        assert!(fatal.is_some());
    }
}
