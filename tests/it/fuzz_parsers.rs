//! The parser fuzz targets (`kubemock::fuzzing::TARGETS`) on stable Rust,
//! without cargo-fuzz: each replays its corpus (`fuzz/corpus/<target>/`,
//! the issue-14 findings included) and a bounded number of seeded
//! mutations of it, in a `kubemock fuzz --parsers` child process so that a
//! stack overflow fails one test (naming the input) instead of aborting
//! the test binary. A target fails on a panic, a crash, or an API error
//! that is not a proper Status.

use std::process::Command;

/// Seeded mutations per target: the whole file stays well under 30 s in a
/// debug build.
const MUTATIONS: usize = 120;
const SEED: u64 = 14;

fn run_target(name: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let current = dir.path().join("current");
    let out = Command::new(env!("CARGO_BIN_EXE_kubemock"))
        .args(["fuzz", "--parsers", "--target", name])
        .args(["--mutations", &MUTATIONS.to_string()])
        .args(["--seed", &SEED.to_string()])
        .arg("--current")
        .arg(&current)
        .output()
        .expect("run kubemock fuzz --parsers");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let input = std::fs::read(&current).unwrap_or_default();
        let shown: String = String::from_utf8_lossy(&input).chars().take(400).collect();
        panic!(
            "fuzz target {name} failed ({}):\n{stdout}\n{stderr}\nlast input (target, label, bytes):\n{shown}",
            out.status
        );
    }
    // The table row: the corpus and every mutation ran, no violation.
    let row = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row for {name} in:\n{stdout}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert!(
        cols[1].parse::<usize>().unwrap() > 0,
        "{name}: empty corpus: {row}"
    );
    assert_eq!(cols[2], MUTATIONS.to_string(), "{row}");
    assert_eq!(cols[3], "0", "{row}");
}

macro_rules! targets {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_target(stringify!($name));
            }
        )*

        /// Every target of the library has a test here.
        #[test]
        fn every_target_is_tested() {
            let here = [$(stringify!($name)),*];
            for t in kubemock::fuzzing::TARGETS {
                assert!(here.contains(&t.name), "fuzz target {} has no test", t.name);
            }
            assert_eq!(here.len(), kubemock::fuzzing::TARGETS.len());
        }
    };
}

targets!(
    query_options,
    label_selector,
    field_selector,
    negotiate,
    json_body,
    yaml_body,
    protobuf_body,
    json_patch,
    merge_patch,
    strategic_merge_patch,
    apply_patch,
    continue_token,
    delete_options,
    expectation_file,
);

/// The corpus directory of every target exists and holds seeds, so that
/// `cargo fuzz` and this harness start from the same inputs.
#[test]
fn every_target_has_a_corpus() {
    let dir = kubemock::fuzzing::default_corpus_dir();
    for t in kubemock::fuzzing::TARGETS {
        let files = kubemock::fuzzing::corpus(&dir, t.name).expect("corpus dir");
        assert!(!files.is_empty(), "{}: no corpus", t.name);
    }
}
