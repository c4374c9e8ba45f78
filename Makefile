# Thin wrappers over cargo: each target installs what is missing, then runs
# the cargo command a person could also type.

.PHONY: all setup run uefi console test lint fmt

all: run

setup:
	@sh scripts/setup.sh

## Boot the kernel under QEMU (BIOS) and show its serial console.
run: setup
	cargo run

## The same with UEFI firmware.
uefi: setup
	cargo run -- --uefi

## Wait at the kernel's serial console instead of running the demo.
console: setup
	cargo run -- --console

## Every lint, then every host unit test and every QEMU integration test.
test: setup lint
	cargo test

## Formatting, clippy for the host crates and for the kernel's own target,
## and update-sched built for a bare-metal target (proof that it is no_std).
lint:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p update-sched-bench --all-targets -- -D warnings
	cargo kernel-clippy
	cargo build -p update-sched --target x86_64-unknown-none

fmt:
	cargo fmt --all
