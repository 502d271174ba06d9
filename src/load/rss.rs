//! The server's memory over a run: its resident set (VmRSS) sampled on a thread of its own, so a
//! busy load loop cannot delay the samples, and its peak (VmHWM), read from `/proc/PID/status`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Memory figures of a process, in KiB, as the kernel reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

/// Reads `/proc/PID/status`; `None` when the process is gone (or this is not Linux).
pub fn read(pid: u32) -> Option<Memory> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(parse_status(&text))
}

fn parse_status(text: &str) -> Memory {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss_kib: field("VmRSS:"),
        peak_kib: field("VmHWM:"),
    }
}

/// One sample: seconds since sampling began, resident KiB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    pub at_secs: f64,
    pub rss_kib: u64,
}

/// Samples a process's RSS every `interval` until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Sample>>>,
}

impl Sampler {
    pub fn start(pid: u32, interval: Duration) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        // Sleep in short slices so stopping does not wait out a long interval.
        let slice = interval.min(Duration::from_millis(50));
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            let mut next = started;
            while !flag.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    let Some(memory) = read(pid) else { break };
                    samples.push(Sample {
                        at_secs: started.elapsed().as_secs_f64(),
                        rss_kib: memory.rss_kib,
                    });
                    next += interval;
                }
                std::thread::sleep(slice);
            }
            samples
        });
        Sampler {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops sampling and returns the samples, with one last one taken now.
    pub fn finish(mut self, pid: u32) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        let mut samples = self
            .thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        if let Some(memory) = read(pid) {
            let at_secs = samples.last().map_or(0.0, |s| s.at_secs);
            samples.push(Sample {
                at_secs,
                rss_kib: memory.rss_kib,
            });
        }
        samples
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_kib() {
        let text = "Name:\tsqlenv\nVmPeak:\t  900 kB\nVmHWM:\t   52000 kB\nVmRSS:\t   48000 kB\n";
        assert_eq!(
            parse_status(text),
            Memory {
                rss_kib: 48000,
                peak_kib: 52000
            }
        );
    }

    #[test]
    fn own_memory_is_sampled() {
        let pid = std::process::id();
        assert!(read(pid).unwrap().rss_kib > 0);
        let sampler = Sampler::start(pid, Duration::from_millis(10));
        let samples = sampler.finish(pid);
        assert!(!samples.is_empty() && samples.iter().all(|s| s.rss_kib > 0));
    }
}
