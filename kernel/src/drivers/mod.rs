//! Device drivers: the only place, with [`crate::arch`] and [`crate::qemu`],
//! that touches hardware registers.

pub mod ramdisk;
pub mod rtc;
pub mod serial;
