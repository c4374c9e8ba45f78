//! Machine metrics for the scheduler's gates and usage pattern.
//!
//! Measured here: the CPU's busy share, from idle-loop accounting (the
//! cycles the main loop spends halted, against all cycles), and memory in
//! use, from the frame allocator. Simulated: everything this kernel does
//! not have (logged-in users, disk and network I/O, the users' own CPU and
//! memory load) comes from a synthetic workload that follows a named
//! profile, the same generator the host simulator uses. The console says
//! which figures are which.

use core::sync::atomic::{AtomicU64, Ordering};

use update_sched::civil::{UtcOffset, WallTime};
use update_sched::gate::Metrics;
use update_sched::workload::{Workload, WorkloadKind};

use crate::{arch, memory};

/// Cycles the main loop has spent halted, waiting for an interrupt.
static IDLE_CYCLES: AtomicU64 = AtomicU64::new(0);

/// Adds `cycles` spent halted to the idle account. Called by the main
/// loop around each halt.
pub fn record_idle(cycles: u64) {
    IDLE_CYCLES.fetch_add(cycles, Ordering::Relaxed);
}

/// Idle-loop accounting: busy share of the cycles between two readings.
#[derive(Clone, Copy, Debug)]
pub struct CpuMeter {
    last_total: u64,
    last_idle: u64,
    busy_permille: u16,
}

impl CpuMeter {
    /// A meter that starts counting now.
    pub fn new() -> CpuMeter {
        CpuMeter {
            last_total: arch::cycles(),
            last_idle: IDLE_CYCLES.load(Ordering::Relaxed),
            busy_permille: 0,
        }
    }

    /// Busy share since the last reading, per mille; the previous figure
    /// again if no cycles passed.
    pub fn read(&mut self) -> u16 {
        let total = arch::cycles();
        let idle = IDLE_CYCLES.load(Ordering::Relaxed);
        let elapsed = total.wrapping_sub(self.last_total);
        let idle_elapsed = idle.wrapping_sub(self.last_idle).min(elapsed);
        if elapsed > 0 {
            let busy = elapsed - idle_elapsed;
            self.busy_permille = ((u128::from(busy) * 1000) / u128::from(elapsed)) as u16;
        }
        self.last_total = total;
        self.last_idle = idle;
        self.busy_permille
    }
}

impl Default for CpuMeter {
    fn default() -> CpuMeter {
        CpuMeter::new()
    }
}

/// One sample, with the measured and simulated parts kept apart for the
/// console.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// What the scheduler sees: measured and simulated combined.
    pub metrics: Metrics,
    /// The kernel's own CPU busy share, per mille (measured).
    pub kernel_cpu_permille: u16,
    /// Memory in use by the kernel, per mille (measured).
    pub kernel_memory_permille: u16,
}

/// Takes samples: measured figures plus the synthetic workload.
#[derive(Debug)]
pub struct Sampler {
    workload: Workload,
    kind: WorkloadKind,
    cpu: CpuMeter,
    kernel_cpu_permille: u16,
}

impl Sampler {
    /// A sampler whose simulated users follow `kind`, from `start`.
    pub fn new(kind: WorkloadKind, seed: u64, start: WallTime, offset: UtcOffset) -> Sampler {
        Sampler {
            workload: Workload::new(kind, seed, start, offset),
            kind,
            cpu: CpuMeter::new(),
            kernel_cpu_permille: 0,
        }
    }

    /// The workload profile the simulated users follow.
    pub fn workload(&self) -> WorkloadKind {
        self.kind
    }

    /// Reads the kernel's CPU busy share since the last measurement. Call
    /// once per worker step, before the step's samples: all minutes
    /// sampled in one step share the measurement.
    pub fn measure(&mut self) {
        self.kernel_cpu_permille = self.cpu.read();
    }

    /// A sample for the minute starting at `wall`. The users' CPU load is
    /// added to the kernel's measured share; memory is the larger of the
    /// two, since the users' programs would live in the same memory.
    pub fn sample(&mut self, wall: WallTime) -> Sample {
        let simulated = self.workload.sample(wall);
        let kernel_cpu_permille = self.kernel_cpu_permille;
        let kernel_memory_permille = memory::usage().permille().min(1000) as u16;
        let metrics = Metrics {
            cpu_permille: simulated
                .cpu_permille
                .saturating_add(kernel_cpu_permille)
                .min(1000),
            memory_permille: simulated.memory_permille.max(kernel_memory_permille),
            ..simulated
        };
        Sample {
            metrics,
            kernel_cpu_permille,
            kernel_memory_permille,
        }
    }
}
