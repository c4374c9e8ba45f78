# Thin wrappers over cargo: each target installs what is missing, then runs
# the cargo command a person could also type.

.PHONY: all setup run uefi console test lint stable fmt proptest-campaign

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

## Every lint, then every host unit test and every QEMU integration test,
## then the kernel library's unit tests, built for the host (see
## kernel/README.md, "Host tests"), then the library crates' tests again on
## stable Rust (`make stable`).
test: setup lint
	cargo test
	cargo test -p kernel --lib
	sh scripts/stable-check.sh

## update-sched, update-manifest and boot-config built and tested with the
## stable toolchain `make setup` installs (1.95.0; their declared MSRV is
## 1.88), in a workspace of just them under target/stable/: the nightly
## workspace itself cannot be read by a stable cargo. The kernel and the
## bootloader are not built. STABLE_TOOLCHAIN=1.88.0 checks the MSRV itself
## (install it first).
stable: setup
	sh scripts/stable-check.sh

## Formatting, clippy for the host crates, for the kernel's own target and
## for the kernel library's host unit tests, the kernel's layers against
## the diagram in kernel/README.md (and the checker's own cases),
## update-sched and update-manifest built for a bare-metal target (proof
## that they are no_std), the library crates' docs with warnings as errors,
## and update-sched packaged as for crates.io and the package built (needs
## the crates.io index). The fuzz crate is formatted here; it is built by
## `make fuzz`.
lint:
	cargo fmt --all --check
	cargo fmt --manifest-path update-manifest/fuzz/Cargo.toml --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p update-sched-bench --all-targets -- -D warnings
	cargo kernel-clippy
	cargo clippy -p kernel --tests -- -D warnings
	sh scripts/kernel-layers.sh
	sh scripts/kernel-layers-test.sh
	cargo build -p update-sched --target x86_64-unknown-none
	cargo build -p update-manifest --target x86_64-unknown-none
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p update-sched -p update-manifest -p boot-config
	cargo package -p update-sched --allow-dirty

fmt:
	cargo fmt --all
	cargo fmt --manifest-path update-manifest/fuzz/Cargo.toml

# `make fuzz` run times, seconds; e.g. `make fuzz FUZZ_SECONDS=60`.
FUZZ_SECONDS ?= 600
FUZZ_SIGNED_SECONDS ?= 300
FUZZ_DIR = update-manifest/fuzz

## Fuzz the update-manifest decoder and verifier with cargo-fuzz (libFuzzer),
## one target after the other: `verify` (arbitrary bytes) for FUZZ_SECONDS,
## then `signed` (inputs re-signed so they reach entry parsing) for
## FUZZ_SIGNED_SECONDS. Not part of `make test`. The corpus grows in
## update-manifest/fuzz/corpus/, crashes land in update-manifest/fuzz/artifacts/.
## -max_len: `verify` inputs may run 64 bytes past MAX_MANIFEST_LEN (8192) to
## reach the size check; `signed` inputs stop 64 bytes short, room for the
## signature.
.PHONY: fuzz
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cargo run --quiet --manifest-path $(FUZZ_DIR)/Cargo.toml --example seeds -- $(FUZZ_DIR)/corpus
	cargo fuzz run --fuzz-dir $(FUZZ_DIR) verify -- -max_total_time=$(FUZZ_SECONDS) -max_len=8256 -print_final_stats=1
	cargo fuzz run --fuzz-dir $(FUZZ_DIR) signed -- -max_total_time=$(FUZZ_SIGNED_SECONDS) -max_len=8128 -print_final_stats=1

# `make proptest-campaign` sizes: seeds from PROPTEST_FIRST_SEED on,
# PROPTEST_CASES cases per proptest and seed.
PROPTEST_FIRST_SEED ?= 1000
PROPTEST_SEEDS ?= 20
PROPTEST_CASES ?= 1000

## A long random campaign of the scheduler's invariant proptests (not part
## of `make test`, which runs them from one fixed seed): PROPTEST_SEEDS
## seeds, each with PROPTEST_CASES cases per proptest. A failing seed is
## printed with the command that replays it, proptest saves its shrunk case
## in update-sched/tests/scheduler_invariants.proptest-regressions, and the
## target fails. E.g. `make proptest-campaign PROPTEST_SEEDS=100`.
proptest-campaign:
	cargo test --release -p update-sched --test scheduler_invariants --no-run
	@fails=0; last=$$(($(PROPTEST_FIRST_SEED) + $(PROPTEST_SEEDS) - 1)); \
	for n in $$(seq $(PROPTEST_FIRST_SEED) $$last); do \
		PROPTEST_RNG_SEED=$$n PROPTEST_CASES=$(PROPTEST_CASES) \
			cargo test -q --release -p update-sched --test scheduler_invariants >/dev/null 2>&1 || { \
			echo "seed $$n failed: PROPTEST_RNG_SEED=$$n PROPTEST_CASES=$(PROPTEST_CASES) cargo test --release -p update-sched --test scheduler_invariants"; \
			fails=$$((fails + 1)); }; \
	done; \
	echo "proptest campaign: seeds $(PROPTEST_FIRST_SEED)..$$last, $(PROPTEST_CASES) cases per proptest: $$fails seed(s) failed"; \
	test $$fails -eq 0
