//! Benchmarks of `update-sched`: see `benches/`. This library is empty; the
//! crate exists so that criterion stays out of the kernel's build.
#![no_std]
