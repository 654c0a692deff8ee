//! The time faults run on: every delay a plan gives (`delay`, `stall`,
//! `end_after`, `delay_events`, `slow_initial`, late bookmarks) goes
//! through a [`FaultClock`], which multiplies it by the server's time scale
//! (`--time-scale`, the same knob as the controllers' clock in
//! `crate::cluster::clock`) and, for Rust tests, can be a paused clock that
//! only moves when the test calls [`FaultClock::advance`].
//!
//! Not on this clock (yet): the watch verb's own bookmark period and
//! timeouts (`api::verbs::watch`) and the controllers (which have the time
//! scale and [`crate::MockServer::pause_controllers`]).

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// A point on a [`FaultClock`]: time since the clock started.
pub type ClockTime = Duration;

/// Real time under a scale, or paused time a test advances.
#[derive(Debug, Clone)]
pub struct FaultClock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    epoch: Instant,
    scale: f64,
    /// `Some`: paused; the value is the clock's time.
    manual: Option<watch::Sender<ClockTime>>,
}

impl Default for FaultClock {
    fn default() -> Self {
        FaultClock::real(1.0)
    }
}

impl FaultClock {
    /// Real time; every plan duration multiplied by `scale` (a bad scale is 1).
    pub fn real(scale: f64) -> FaultClock {
        FaultClock {
            inner: Arc::new(Inner {
                epoch: Instant::now(),
                scale: if scale.is_finite() && scale >= 0.0 {
                    scale
                } else {
                    1.0
                },
                manual: None,
            }),
        }
    }

    /// A paused clock at 0 that moves only with [`FaultClock::advance`].
    pub fn paused(scale: f64) -> FaultClock {
        let mut c = FaultClock::real(scale);
        if let Some(inner) = Arc::get_mut(&mut c.inner) {
            inner.manual = Some(watch::channel(Duration::ZERO).0);
        }
        c
    }

    /// Whether the clock is paused.
    pub fn is_paused(&self) -> bool {
        self.inner.manual.is_some()
    }

    /// A plan duration under the time scale.
    pub fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.inner.scale)
    }

    /// The clock's time.
    pub fn now(&self) -> ClockTime {
        match &self.inner.manual {
            Some(m) => *m.borrow(),
            None => self.inner.epoch.elapsed(),
        }
    }

    /// Moves a paused clock forward (wakes what waits on it); returns
    /// false on a real clock, which cannot be moved.
    pub fn advance(&self, d: Duration) -> bool {
        match &self.inner.manual {
            Some(m) => {
                m.send_modify(|t| *t += d);
                true
            }
            None => false,
        }
    }

    /// Waits until the clock reads `t`.
    pub async fn sleep_until(&self, t: ClockTime) {
        match &self.inner.manual {
            Some(m) => {
                let mut rx = m.subscribe();
                let _ = rx.wait_for(|now| *now >= t).await;
            }
            None => tokio::time::sleep_until(self.inner.epoch + t).await,
        }
    }

    /// Waits a plan duration (scaled).
    pub async fn sleep(&self, d: Duration) {
        let until = self.now() + self.scaled(d);
        self.sleep_until(until).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_paused_clock_moves_only_when_advanced() {
        let c = FaultClock::paused(1.0);
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move { c.sleep(Duration::from_secs(3600)).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        assert!(c.advance(Duration::from_secs(1800)));
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        c.advance(Duration::from_secs(1800));
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("task");
        assert_eq!(c.now(), Duration::from_secs(3600));
    }

    #[tokio::test]
    async fn a_real_clock_scales_plan_durations() {
        let c = FaultClock::real(0.01);
        assert_eq!(
            c.scaled(Duration::from_secs(10)),
            Duration::from_millis(100)
        );
        assert!(!c.advance(Duration::from_secs(1)));
        let t0 = Instant::now();
        c.sleep(Duration::from_secs(5)).await;
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_millis(50) && took < Duration::from_secs(3),
            "{took:?}"
        );
    }
}
