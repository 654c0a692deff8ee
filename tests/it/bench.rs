//! The benchmark harness keeps working: `kubemock bench --quick` runs every
//! workload for a few seconds and writes a JSON report with every figure.
//! (No timing is asserted: figures are measurements, not pass/fail.)

#[test]
fn quick_bench_runs_every_workload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("bench.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubemock"))
        .args(["bench", "--quick", "--json"])
        .arg(&json)
        .output()
        .expect("run bench");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("report")).expect("json");
    let rows = report["rows"].as_array().expect("rows");
    for workload in [
        "start-up",
        "watchlist n=200",
        "list n=200",
        "memory",
        "writes (16 clients)",
        "fan-out w=20",
        "body flood (16 × 3 MiB+1, Content-Length)",
        "body flood (16 × 3 MiB+1, streamed)",
    ] {
        assert!(
            rows.iter().any(|r| r["workload"] == workload),
            "missing {workload} in {report}"
        );
    }
    let lost = rows
        .iter()
        .find(|r| r["metric"] == "events lost")
        .expect("lost row");
    assert_eq!(lost["value"], 0.0);
    // The fan-out's CPU cost is read from /proc for the spawned server and
    // the harness itself.
    if std::path::Path::new("/proc/self/stat").exists() {
        for metric in ["server CPU per delivery", "harness CPU per delivery"] {
            let row = rows
                .iter()
                .find(|r| r["metric"] == metric)
                .unwrap_or_else(|| panic!("missing {metric} in {report}"));
            assert!(row["value"].as_f64().is_some_and(|v| v >= 0.0), "{row}");
        }
    }
    // Every oversized body was refused with 413, and the server's memory
    // was sampled during the flood.
    for r in rows.iter().filter(|r| {
        r["workload"]
            .as_str()
            .is_some_and(|w| w.starts_with("body flood"))
    }) {
        match r["metric"].as_str().unwrap_or("") {
            "bodies refused with 413" => assert!(r["value"].as_f64() > Some(0.0), "{r}"),
            "other answers" => assert_eq!(r["value"], 0.0, "{r}"),
            "server RSS max during flood" if std::path::Path::new("/proc/self/stat").exists() => {
                assert!(r["value"].as_f64() > Some(0.0), "{r}")
            }
            _ => {}
        }
    }
    assert!(
        rows.iter().any(
            |r| r["metric"] == "GET p99 during flood (vs without)" && r["baseline"].is_number()
        ),
        "missing the GET p99 row with its baseline"
    );
    // The table is printed too.
    assert!(String::from_utf8_lossy(&out.stdout).contains("| workload | metric |"));
}
