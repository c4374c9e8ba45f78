//! `update-sched`: decides when pending system updates run.
//!
//! A sans-IO state machine in the style of smoltcp: the crate holds state
//! and answers questions, the caller owns the clock and the hardware. Every
//! call that depends on time is handed `now` (monotonic [`Instant`]) and,
//! where calendars matter, the wall-clock time ([`civil::WallTime`]).
//!
//! The crate is `no_std`, allocates nothing, uses no floating point and no
//! `unsafe`: capacities are const generics and every full container is a
//! reported error.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(missing_debug_implementations)]

pub mod backoff;
pub mod civil;
pub mod config;
pub mod event;
pub mod freeze;
pub mod gate;
pub mod ordered_queue;
pub mod pattern;
pub mod policy;
pub mod protocol;
pub mod queue;
pub mod scheduler;
#[cfg(feature = "serde")]
mod serde;
pub mod time;
pub mod update;
pub mod window;
pub mod workload;
pub mod zone;

pub use time::{Duration, Instant};
pub use update::{Priority, UpdateId, UpdateKind};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
