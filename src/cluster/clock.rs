//! The controllers' clock: every delay is the lifecycle stage's delay plus a
//! jitter drawn from the seed and the object's name (so two runs with the
//! same seed wait the same, whatever order the work comes in), multiplied
//! by the time scale (`--time-scale 0.01` makes a 30 s grace period 300 ms).
//! Pausing stops every controller until resumed.
//!
//! The clock also tells the cluster's time ([`Clock::now`]), the time the
//! CronJob controller schedules by: the wall time at start, plus the time
//! since then divided by the time scale (at `--time-scale 0.001` a cluster
//! minute passes in 60 ms), plus what [`super::Cluster::advance_clock`]
//! added (a test jumps to the next schedule instead of waiting for it).

use super::lifecycle::{Lifecycle, Stage};
use std::time::Duration;
use tokio::sync::watch;

/// Delays, jitter and the pause switch.
#[derive(Debug, Clone)]
pub struct Clock {
    scale: f64,
    seed: u64,
    lifecycle: Lifecycle,
    paused: watch::Receiver<bool>,
    /// Wall time and instant at start.
    origin: (chrono::DateTime<chrono::Utc>, tokio::time::Instant),
    /// Cluster time added by hand, in milliseconds.
    offset: watch::Receiver<i64>,
}

/// FNV-1a then splitmix64: a stable hash (the standard library's is
/// randomised per process).
pub fn stable_hash(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Clock {
    /// A clock.
    pub fn new(
        scale: f64,
        seed: u64,
        lifecycle: Lifecycle,
        paused: watch::Receiver<bool>,
        offset: watch::Receiver<i64>,
    ) -> Clock {
        Clock {
            scale: if scale.is_finite() && scale >= 0.0 {
                scale
            } else {
                1.0
            },
            seed,
            lifecycle,
            paused,
            origin: (chrono::Utc::now(), tokio::time::Instant::now()),
            offset,
        }
    }

    /// The cluster's time now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let real = self.origin.1.elapsed();
        let cluster = if self.scale > 0.0 {
            real.div_f64(self.scale)
        } else {
            real
        };
        let cluster = chrono::Duration::from_std(cluster).unwrap_or(chrono::Duration::zero());
        self.origin.0 + cluster + chrono::Duration::milliseconds(*self.offset.borrow())
    }

    /// The real time to wait until the cluster's clock reads `at` (zero
    /// when it is past).
    pub fn until(&self, at: chrono::DateTime<chrono::Utc>) -> Duration {
        let left = (at - self.now()).to_std().unwrap_or(Duration::ZERO);
        if self.scale > 0.0 {
            self.scaled(left)
        } else {
            left
        }
    }

    /// Resolves when the cluster's time is moved by hand.
    pub async fn advanced(&mut self) {
        if self.offset.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A duration under the time scale.
    pub fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.scale)
    }

    /// How long to wait before `stage` for the object `key`.
    pub fn delay(&self, stage: &str, key: &str) -> Duration {
        let Stage { delay, jitter } = self.lifecycle.stage(stage);
        let extra = if jitter.is_zero() {
            Duration::ZERO
        } else {
            let nanos = jitter.as_nanos().min(u128::from(u64::MAX)) as u64;
            Duration::from_nanos(stable_hash(self.seed, &[stage, key]) % nanos)
        };
        self.scaled(delay + extra)
    }

    /// Waits while the controllers are paused.
    pub async fn wait_running(&mut self) {
        let _ = self.paused.wait_for(|p| !*p).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_repeat_with_the_seed_and_scale() {
        let (_tx, rx) = watch::channel(false);
        let (_otx, orx) = watch::channel(0);
        let a = Clock::new(1.0, 7, Lifecycle::default(), rx.clone(), orx.clone());
        let b = Clock::new(1.0, 7, Lifecycle::default(), rx.clone(), orx.clone());
        let c = Clock::new(1.0, 8, Lifecycle::default(), rx.clone(), orx.clone());
        let keys: Vec<String> = (0..20).map(|i| format!("ns/p{i}")).collect();
        let da: Vec<_> = keys.iter().map(|k| a.delay("pod-start", k)).collect();
        let db: Vec<_> = keys.iter().map(|k| b.delay("pod-start", k)).collect();
        let dc: Vec<_> = keys.iter().map(|k| c.delay("pod-start", k)).collect();
        assert_eq!(da, db);
        assert_ne!(da, dc);
        for d in &da {
            assert!(*d >= Duration::from_millis(20) && *d < Duration::from_millis(30));
        }
        let half = Clock::new(0.5, 7, Lifecycle::default(), rx, orx);
        assert_eq!(half.delay("pod-start", "ns/p0"), da[0] / 2);
    }

    #[tokio::test]
    async fn cluster_time_runs_by_the_scale_and_jumps_when_advanced() {
        let (_tx, rx) = watch::channel(false);
        let (otx, orx) = watch::channel(0);
        let fast = Clock::new(0.001, 7, Lifecycle::default(), rx, orx);
        let t0 = fast.now();
        tokio::time::sleep(Duration::from_millis(5)).await;
        // 5 ms real is at least 5 s of cluster time.
        assert!(fast.now() - t0 >= chrono::Duration::seconds(5));
        let later = fast.now() + chrono::Duration::minutes(1);
        assert!(fast.until(later) <= Duration::from_millis(60));
        otx.send_replace(3_600_000);
        assert!(fast.now() - t0 >= chrono::Duration::hours(1));
        assert_eq!(fast.until(t0), Duration::ZERO);
    }
}
