//! The upkeep kernel's boot-time configuration, and the ramdisk container
//! that carries it from the host runner to the kernel.
//!
//! The host runner reads a TOML file into a [`BootConfig`], validates it,
//! and [`encode`]s it as the config section of a ramdisk. The bootloader
//! loads that file into memory next to the kernel; the kernel hands the
//! bytes to [`decode_config`], which checks the framing and checksum,
//! decodes the section and validates it again. The same [`Ramdisk`]
//! container will carry other sections (a signed update manifest, payload
//! files) under their own [`Tag`]s.
//!
//! Both ends share this crate, so they agree on the types by construction.
//! It is `no_std`, allocates nothing, and never panics on any input: every
//! way the bytes can be wrong is its own [`RamdiskError`] variant with a
//! message meant for the console.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(missing_debug_implementations)]

pub mod config;
pub mod ramdisk;

pub use config::{BootConfig, BootConfigError, Failures, Mode, Name, SCENARIOS};
pub use ramdisk::{
    decode_config, encode, DecodeProblem, EncodeError, Ramdisk, RamdiskError, RamdiskWriter,
    Section, Sections, Tag,
};
