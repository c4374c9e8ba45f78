//! Device drivers: the only place, with [`crate::qemu`], that touches
//! hardware registers.

pub mod serial;
