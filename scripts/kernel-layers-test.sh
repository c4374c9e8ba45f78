#!/bin/sh
# Self-test of scripts/kernel-layers.sh: a small kernel tree whose lower
# layer refers to the one above it in ways that are easy to miss (a path
# split over lines, an alias of the crate, `super::` up to the root, a
# macro, a path hidden behind a string or a block comment) must fail, and
# paths that only look like references (in comments and strings) must
# pass. Run by `make lint`: `sh scripts/kernel-layers-test.sh`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scripts" "$work/kernel/src/drivers"
cp "$here/kernel-layers.sh" "$work/scripts/"
cat >"$work/kernel/README.md" <<'README'
<!-- layers -->
run        [ run ]
console    [ console ]
upper      [ upper ]
lower      [ lower ]
hardware   [ out drivers ]
<!-- /layers -->
README
src="$work/kernel/src"
echo "pub mod drivers;" >"$src/lib.rs"
echo "pub fn run() { crate::console::go(); }" >"$src/run.rs"
echo "pub fn go() { crate::upper::g(); serial_println!(\"x\"); }" >"$src/console.rs"
printf '%s\n' 'pub fn g() {}' 'macro_rules! shout { () => {} }' >"$src/upper.rs"
echo "pub struct Serial;" >"$src/out.rs"
printf '%s\n' 'macro_rules! serial_println { ($($t:tt)*) => {} }' >"$src/drivers/mod.rs"

failures=0
# check <expect: pass|fail> <name> <lower.rs text>
check() {
    printf '%s\n' "$3" >"$src/lower.rs"
    if sh "$work/scripts/kernel-layers.sh" >/dev/null 2>"$work/err"; then got=pass; else got=fail; fi
    if [ "$got" != "$1" ]; then
        echo "kernel-layers-test: $2: expected $1, got $got" >&2
        sed 's/^/    /' "$work/err" >&2
        failures=$((failures + 1))
    fi
}

check pass "a lower layer that refers to nothing" 'pub fn f() {}'
check fail "use of the layer above" 'use crate::upper;'
check fail "a path split over lines" 'pub fn f() {
    crate::
        upper::g();
}'
check fail "a use group over lines" 'use crate::{
    out,
    upper::g,
};'
check fail "an alias of the crate" 'use crate as k;
pub fn f() { k::upper::g() }'
check fail "super:: from a top-level file reaches the root" 'pub fn f() { super::upper::g() }'
check fail "super::super:: from an inline module" 'mod inner {
    pub fn f() { super::super::upper::g() }
}'
check fail "a glob of the crate root" 'use super::*;'
check fail "a macro of the layer above" 'pub fn f() { shout!(); }'
check fail "a path after a string holding //" 'pub fn f() { let _s = " // "; crate::upper::g(); }'
check fail "a path after a block comment" 'pub fn f() { /* note */ crate::upper::g(); }'
check fail "a path after a character literal quote" "pub fn f() { let _c = '\"'; crate::upper::g(); let _d = '\"'; }"
check fail "printing on its own below the console" 'pub fn f() { serial_println!("x"); }'
check pass "paths in comments" '// crate::upper::g()
/// [`crate::upper`]
/* crate::upper
   crate::upper */
pub fn f() {} //crate::upper'
check pass "paths and Serial in strings" 'pub fn f() -> (&'"'"'static str, &'"'"'static str) { ("crate::upper::g and Serial", r#"crate::upper "# ) }'
check pass "super:: in a test module names the module itself" 'pub fn upper() {}
mod tests {
    use super::*;
    fn t() { super::upper() }
}'
check pass "a lower module and the sink" 'use crate::out;
use crate::drivers;'

if [ "$failures" -ne 0 ]; then
    exit 1
fi
echo "kernel-layers-test: every case as expected"
