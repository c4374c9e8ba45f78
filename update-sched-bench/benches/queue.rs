//! Benchmarks `UpdateQueue` against `heapless` and `std` binary heaps.
//!
//! Every workload uses the same fixed-seed mix of keys (see [`workload`]),
//! so the three queues order exactly the same entries. The other heaps get
//! the full `(OrderKey, UpdateId)` pair as their element, with the
//! submission number filled in by the caller, since they cannot number
//! entries themselves; `Reverse` turns their max-heaps into min-heaps.
//!
//! Groups, each for n = 1,000 and n = 10,000:
//! - `push_pop_all`: push n entries into an empty queue, then pop them all;
//! - `push_all`: push n entries into an empty queue;
//! - `cancel_tenth`: cancel n/10 random ids from a full queue. Only
//!   `UpdateQueue` can do that by id; `std` is shown with the O(n)
//!   `retain` that a plain heap needs per cancel;
//! - `slot_heap_push_pop_all`: the same as `push_pop_all` for the bare
//!   `SlotHeap<PackedKey, N>` the scheduler uses (the same keys, deadlines
//!   in whole seconds), against `heapless` with `(u64, u16)` elements.
//!
//! Throughput is set to the number of operations of the measured kind, so
//! criterion's time per iteration divided by that count is the time per
//! operation (per push+pop pair in `push_pop_all`).

use core::cmp::Reverse;
use core::hint::black_box;
use core::time::Duration;
use std::collections::BinaryHeap as StdHeap;

use criterion::{BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput};
use heapless::binary_heap::{BinaryHeap as HeaplessHeap, Max};
use update_sched::ordered_queue::{OrderKey, UpdateQueue};
use update_sched::queue::{PackedKey, Rank, Slot, SlotHeap, SlotIndex};
use update_sched::{Instant, Priority, UpdateId};

/// Seed for the key mix; fixed so that every run measures the same work.
const SEED: u64 = 0x5EED_CAFE_F00D_2026;

/// Element of the comparison heaps: smallest key first, as in ours.
type Element = Reverse<(OrderKey, UpdateId)>;

/// Marsaglia's xorshift64: enough to mix keys, and the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// One queued update as the benchmark pushes it.
#[derive(Clone, Copy)]
struct Submission {
    id: UpdateId,
    priority: Priority,
    deadline: Instant,
}

/// `n` submissions with distinct ids and a realistic mix of keys:
/// priorities uniform, deadlines within a week for the three urgent
/// priorities (whole minutes, so ties happen) and none for the rest.
fn workload(n: usize) -> Vec<Submission> {
    let mut random = XorShift(SEED);
    let mut submissions: Vec<Submission> = Vec::with_capacity(n);
    let mut seen = std::collections::HashSet::new();
    while submissions.len() < n {
        let bits = random.next();
        let id = (bits >> 32) as u32;
        if !seen.insert(id) {
            continue;
        }
        let priority = Priority::ALL[(bits % 5) as usize];
        let deadline = match priority {
            Priority::Critical | Priority::Security | Priority::Important => {
                Instant::from_millis(((bits >> 8) % (7 * 24 * 60)) * 60_000)
            }
            Priority::Optional | Priority::Low => Instant::MAX,
        };
        submissions.push(Submission {
            id: UpdateId(id),
            priority,
            deadline,
        });
    }
    submissions
}

fn elements(submissions: &[Submission]) -> Vec<Element> {
    (0u32..)
        .zip(submissions)
        .map(|(sequence, s)| Reverse((OrderKey::new(s.priority, s.deadline, sequence), s.id)))
        .collect()
}

/// `count` distinct ids drawn from `submissions`, in random order.
fn ids_to_cancel(submissions: &[Submission], count: usize) -> Vec<UpdateId> {
    let mut random = XorShift(SEED ^ 0xC0FFEE);
    let mut picked = std::collections::HashSet::new();
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        let index = (random.next() % submissions.len() as u64) as usize;
        if picked.insert(index) {
            ids.push(submissions[index].id);
        }
    }
    ids
}

/// The submissions as the scheduler's packed keys, numbered in order.
fn packed_keys(submissions: &[Submission]) -> Vec<PackedKey> {
    (0u32..)
        .zip(submissions)
        .map(|(sequence, s)| {
            let deadline_secs = u32::try_from(s.deadline.as_millis() / 1_000).unwrap_or(u32::MAX);
            PackedKey::new(Rank::from(s.priority), deadline_secs, sequence)
        })
        .collect()
}

fn fill<const N: usize>(queue: &mut UpdateQueue<N>, submissions: &[Submission]) {
    for s in submissions {
        queue.push(s.id, s.priority, s.deadline).unwrap();
    }
}

/// All benchmarks for one size; `N` is both the capacity and n.
fn bench_size<const N: usize>(c: &mut Criterion) {
    let submissions = workload(N);
    let elements = elements(&submissions);
    let configure = |group: &mut BenchmarkGroup<'_, _>| {
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_millis(1_500));
    };

    let mut group = c.benchmark_group(format!("push_pop_all/{N}"));
    configure(&mut group);
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("update_queue", |b| {
        let mut queue = Box::new(UpdateQueue::<N>::new());
        b.iter(|| {
            fill(&mut queue, &submissions);
            while let Some(popped) = queue.pop() {
                black_box(popped);
            }
        });
    });
    group.bench_function("heapless", |b| {
        let mut heap = Box::new(HeaplessHeap::<Element, Max, N>::new());
        b.iter(|| {
            for &element in &elements {
                heap.push(element).unwrap();
            }
            while let Some(popped) = heap.pop() {
                black_box(popped);
            }
        });
    });
    group.bench_function("std", |b| {
        let mut heap = StdHeap::<Element>::with_capacity(N);
        b.iter(|| {
            for &element in &elements {
                heap.push(element);
            }
            while let Some(popped) = heap.pop() {
                black_box(popped);
            }
        });
    });
    group.finish();

    let mut group = c.benchmark_group(format!("push_all/{N}"));
    configure(&mut group);
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("update_queue", |b| {
        b.iter_batched_ref(
            || Box::new(UpdateQueue::<N>::new()),
            |queue| fill(queue, &submissions),
            BatchSize::LargeInput,
        );
    });
    group.bench_function("heapless", |b| {
        b.iter_batched_ref(
            || Box::new(HeaplessHeap::<Element, Max, N>::new()),
            |heap| {
                for &element in &elements {
                    heap.push(element).unwrap();
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("std", |b| {
        b.iter_batched_ref(
            || StdHeap::<Element>::with_capacity(N),
            |heap| {
                for &element in &elements {
                    heap.push(element);
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();

    let cancelled = ids_to_cancel(&submissions, N / 10);
    let mut full = Box::new(UpdateQueue::<N>::new());
    fill(&mut full, &submissions);
    let full_std: StdHeap<Element> = elements.iter().copied().collect();

    let mut group = c.benchmark_group(format!("cancel_tenth/{N}"));
    configure(&mut group);
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(cancelled.len() as u64));
    group.bench_function("update_queue", |b| {
        b.iter_batched_ref(
            || full.clone(),
            |queue| {
                for &id in &cancelled {
                    black_box(queue.remove(id).unwrap());
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("std_retain", |b| {
        b.iter_batched_ref(
            || full_std.clone(),
            |heap| {
                for &id in &cancelled {
                    heap.retain(|Reverse((_, queued))| *queued != id);
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();

    let keys = packed_keys(&submissions);
    let mut group = c.benchmark_group(format!("slot_heap_push_pop_all/{N}"));
    configure(&mut group);
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("slot_heap", |b| {
        let mut heap = Box::new(SlotHeap::<PackedKey, N>::new());
        b.iter(|| {
            for (slot, &key) in (0u16..).zip(&keys) {
                heap.push(Slot::new(slot), key).unwrap();
            }
            while let Some(popped) = heap.pop() {
                black_box(popped);
            }
        });
    });
    group.bench_function("heapless", |b| {
        let mut heap = Box::new(HeaplessHeap::<Reverse<(u64, u16)>, Max, N>::new());
        b.iter(|| {
            for (slot, key) in (0u16..).zip(&keys) {
                heap.push(Reverse((key.to_bits(), slot))).unwrap();
            }
            while let Some(popped) = heap.pop() {
                black_box(popped);
            }
        });
    });
    group.finish();
}

fn main() {
    let size = core::mem::size_of::<UpdateQueue<1024>>();
    println!(
        "size_of::<UpdateQueue<1024>>() = {size} bytes ({} per entry, {} left over)",
        size / 1024,
        size % 1024
    );
    println!(
        "size_of::<SlotIndex<1024>>() = {} bytes, size_of::<SlotHeap<u64, 1024>>() = {} bytes",
        core::mem::size_of::<SlotIndex<1024>>(),
        core::mem::size_of::<SlotHeap<u64, 1024>>()
    );
    let mut criterion = Criterion::default().configure_from_args();
    bench_size::<1_000>(&mut criterion);
    bench_size::<10_000>(&mut criterion);
    criterion.final_summary();
}
