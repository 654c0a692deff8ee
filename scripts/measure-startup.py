#!/usr/bin/env python3
"""Measures how long `kubemock serve` takes from exec to kubeconfig written.

Usage: scripts/measure-startup.py [BINARY] [RUNS]
Starts the binary RUNS times (default 20) with a fresh --kubeconfig path,
polls for the file (every 0.5 ms), stops the server, and prints the median,
min and max in milliseconds. A measurement, not a test.
"""
import os, statistics, subprocess, sys, tempfile, time

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/kubemock"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
samples = []
with tempfile.TemporaryDirectory() as d:
    for i in range(runs):
        kc = os.path.join(d, f"kc-{i}")
        t0 = time.perf_counter()
        p = subprocess.Popen([binary, "serve", "--kubeconfig", kc],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not os.path.exists(kc):
            if p.poll() is not None:
                sys.exit(f"kubemock exited with {p.returncode}")
            time.sleep(0.0005)
        samples.append((time.perf_counter() - t0) * 1000)
        p.terminate()
        p.wait()
print(f"runs={runs} median={statistics.median(samples):.1f}ms "
      f"min={min(samples):.1f}ms max={max(samples):.1f}ms")
