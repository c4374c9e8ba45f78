#![no_std]
#![no_main]
bootloader_api::entry_point!(main);
fn main(_: &'static mut bootloader_api::BootInfo) -> ! { loop {} }
#[panic_handler]
fn p(_: &core::panic::PanicInfo) -> ! { loop {} }
