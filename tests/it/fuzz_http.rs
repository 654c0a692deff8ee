//! The HTTP-level fuzzer (`kubemock fuzz`) for a bounded run with a fixed
//! seed: a spawned kubemock gets 3,000 mixed valid and invalid requests
//! (issue 14's findings among them) and must keep every invariant: Status
//! error bodies, no 5xx but the real server's, no hang, no crash, the
//! seeded objects intact.

use std::process::Command;

#[test]
fn three_thousand_fuzzed_requests_keep_every_invariant() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_kubemock"))
        .args([
            "fuzz",
            "--requests",
            "3000",
            "--seed",
            "14",
            "--concurrency",
            "8",
        ])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run kubemock fuzz");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap_or_default())
            .unwrap_or_else(|e| panic!("no JSON report ({e}):\n{stdout}\n{stderr}"));
    assert_eq!(report["requests"], 3000, "{stdout}");
    // The run covered what it claims: garbled requests, writes to the
    // seeded objects, a health check per batch.
    assert!(report["garbled"].as_u64().unwrap() > 500, "{stdout}");
    assert!(report["seeded_writes"].as_u64().unwrap() > 0, "{stdout}");
    assert!(report["health_checks"].as_u64().unwrap() > 0, "{stdout}");
    let by_status = report["by_status"].as_object().unwrap();
    assert!(by_status.keys().any(|k| k.starts_with('2')), "{stdout}");
    assert!(by_status.keys().any(|k| k.starts_with('4')), "{stdout}");
    assert!(
        out.status.success() && report["violation_counts"].as_object().unwrap().is_empty(),
        "violations:\n{stdout}\n{stderr}"
    );
}
