//! A container's small virtual filesystem: what `cat`, `test -d`, `ls` and
//! `tar` (so `kubectl cp` in both directions) see. Paths are absolute and
//! normalised; directories exist explicitly or as parents of a file.

use std::collections::{BTreeMap, BTreeSet};

/// One container's files.
#[derive(Debug, Clone)]
pub struct Vfs {
    files: BTreeMap<String, Vec<u8>>,
    dirs: BTreeSet<String>,
}

impl Default for Vfs {
    fn default() -> Self {
        let mut dirs = BTreeSet::new();
        for d in [
            "/", "/tmp", "/etc", "/root", "/var", "/home", "/bin", "/usr",
        ] {
            dirs.insert(d.to_string());
        }
        Vfs {
            files: BTreeMap::new(),
            dirs,
        }
    }
}

/// `path` made absolute against `cwd` and normalised (`.`, `..`, `//`).
pub fn normalize(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    Some(match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "/",
    })
}

impl Vfs {
    /// A filesystem with these files (and their parents).
    pub fn with_files<'a>(files: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vfs {
        let mut v = Vfs::default();
        for (p, c) in files {
            v.write(&normalize("/", p), c.as_bytes().to_vec());
        }
        v
    }

    /// Whether `path` is a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        self.dirs.contains(path)
    }

    /// A file's bytes.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Creates a directory and its parents.
    pub fn mkdir_p(&mut self, path: &str) {
        let mut p = Some(path);
        while let Some(d) = p {
            if !self.dirs.insert(d.to_string()) {
                break;
            }
            p = parent(d);
        }
    }

    /// Writes a file, creating its parents.
    pub fn write(&mut self, path: &str, data: Vec<u8>) {
        if let Some(d) = parent(path) {
            self.mkdir_p(d);
        }
        self.files.insert(path.to_string(), data);
    }

    /// The names directly under a directory, sorted.
    pub fn list(&self, dir: &str) -> Vec<String> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let mut out: BTreeSet<String> = BTreeSet::new();
        for p in self.files.keys().chain(self.dirs.iter()) {
            if let Some(rest) = p.strip_prefix(&prefix) {
                if !rest.is_empty() {
                    out.insert(rest.split('/').next().unwrap_or(rest).to_string());
                }
            }
        }
        out.into_iter().collect()
    }

    /// Every file and directory under `root` (itself included), sorted:
    /// directories as `(path, None)`, files as `(path, Some(bytes))`.
    pub fn walk(&self, root: &str) -> Vec<(String, Option<&[u8]>)> {
        let prefix = format!("{}/", root.trim_end_matches('/'));
        let mut out: Vec<(String, Option<&[u8]>)> = Vec::new();
        for d in &self.dirs {
            if d == root || d.starts_with(&prefix) {
                out.push((d.clone(), None));
            }
        }
        for (f, data) in &self.files {
            if f == root || f.starts_with(&prefix) {
                out.push((f.clone(), Some(data.as_slice())));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_trees() {
        assert_eq!(normalize("/", "a/./b/../c"), "/a/c");
        assert_eq!(normalize("/x", "../../y"), "/y");
        let mut v = Vfs::default();
        v.write("/data/a/b.txt", b"hi".to_vec());
        assert!(v.is_dir("/data/a"));
        assert_eq!(v.list("/data"), vec!["a"]);
        assert_eq!(v.read("/data/a/b.txt"), Some(&b"hi"[..]));
        let w: Vec<String> = v.walk("/data").into_iter().map(|e| e.0).collect();
        assert_eq!(w, vec!["/data", "/data/a", "/data/a/b.txt"]);
    }
}
