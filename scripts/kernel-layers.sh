#!/bin/sh
# Checks the kernel's layers against the diagram in kernel/README.md.
#
# The diagram (between the `<!-- layers -->` and `<!-- /layers -->`
# markers) lists the layers top to bottom, one a line, each as
# `name [ module module ... ]`. This script fails when
#   - a module of kernel/src (a file, or a directory of files; not lib.rs,
#     main.rs or bin/) is missing from the diagram, or listed twice, or a
#     listed module does not exist;
#   - a module refers to a module of its own layer or of a layer above it
#     (`crate::name`, `use crate::{name, ..}`; the `serial_print!` and
#     `serial_println!` macros count as `drivers`), comments aside;
#   - a module below the console and above the layer of `out` prints on
#     its own (`serial_print!`, `drivers::serial`, `out::Serial`) instead
#     of writing to the sink it is handed.
# Run from anywhere: `sh scripts/kernel-layers.sh`.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
readme="$root/kernel/README.md"
src="$root/kernel/src"

# One line per layer, top first: "<layer> <module> <module> ...".
layers=$(awk '
    /<!-- layers -->/ { inside = 1; next }
    /<!-- \/layers -->/ { inside = 0 }
    inside && /\[.*\]/ {
        name = $1
        modules = $0
        sub(/^[^[]*\[/, "", modules)
        sub(/\].*$/, "", modules)
        print name, modules
    }
' "$readme")
if [ -z "$layers" ]; then
    echo "kernel-layers: no layer diagram between <!-- layers --> and <!-- /layers --> in $readme" >&2
    exit 1
fi

# "<module> <row>", row 1 being the top layer.
table=$(echo "$layers" | awk '{ for (i = 2; i <= NF; i++) print $i, NR }')

# The modules that exist.
existing=$(
    cd "$src"
    for path in *.rs */; do
        case "$path" in
        lib.rs | main.rs | bin/) ;;
        *.rs) echo "${path%.rs}" ;;
        */) echo "${path%/}" ;;
        esac
    done | sort
)

status=0
fail() {
    echo "kernel-layers: $*" >&2
    status=1
}

listed=$(echo "$table" | awk '{ print $1 }' | sort)
for module in $(echo "$listed" | uniq -d); do
    fail "module $module is listed in more than one layer of the diagram"
done
for module in $existing; do
    echo "$listed" | grep -qx "$module" || fail "module $module is in no layer of the diagram in kernel/README.md"
done
for module in $(echo "$listed" | uniq); do
    echo "$existing" | grep -qx "$module" || fail "the diagram lists $module, which is no module of kernel/src"
done

row_of() {
    echo "$table" | awk -v module="$1" '$1 == module { print $2; exit }'
}

console_row=$(row_of console)
out_row=$(row_of out)

# The crate modules a module's sources refer to, one a line.
references() {
    awk '
        /^[ \t]*\/\// { next }
        { line = $0; sub(/[ \t]\/\/ .*$/, "", line); text = text " " line }
        END {
            s = text
            while (match(s, /crate::[a-z_][a-z0-9_]*/)) {
                print substr(s, RSTART + 7, RLENGTH - 7)
                s = substr(s, RSTART + RLENGTH)
            }
            s = text
            while ((at = index(s, "crate::{")) > 0) {
                s = substr(s, at + 8)
                depth = 1
                item = ""
                for (j = 1; j <= length(s) && depth > 0; j++) {
                    c = substr(s, j, 1)
                    if (c == "{") depth++
                    else if (c == "}") depth--
                    if (depth == 0 || (depth == 1 && c == ",")) {
                        if (match(item, /[a-z_][a-z0-9_]*/)) print substr(item, RSTART, RLENGTH)
                        item = ""
                    } else if (depth == 1 && c != "}") {
                        item = item c
                    }
                }
                s = substr(s, j)
            }
            s = text
            if (s ~ /serial_print(ln)?!/) print "drivers"
        }
    ' "$@"
}

for module in $existing; do
    row=$(row_of "$module")
    [ -n "$row" ] || continue
    if [ -d "$src/$module" ]; then
        files=$(find "$src/$module" -name '*.rs' | sort)
    else
        files="$src/$module.rs"
    fi
    # shellcheck disable=SC2086 # one file name a word
    for used in $(references $files | sort -u); do
        [ "$used" = "$module" ] && continue
        used_row=$(row_of "$used")
        # Not a module: an item of the crate root (a macro, `VERSION`).
        [ -n "$used_row" ] || continue
        if [ "$used_row" -le "$row" ]; then
            fail "$module (layer $(echo "$layers" | sed -n "${row}p" | awk '{ print $1 }')) refers to $used (layer $(echo "$layers" | sed -n "${used_row}p" | awk '{ print $1 }')), which is not below it"
        fi
    done
    if [ -n "$console_row" ] && [ -n "$out_row" ] && [ "$row" -gt "$console_row" ] && [ "$row" -lt "$out_row" ]; then
        # shellcheck disable=SC2086
        if grep -v '^[[:space:]]*//' $files | grep -qE 'serial_print|drivers::serial|out::Serial|[^A-Za-z_]Serial[^A-Za-z_]'; then
            fail "$module prints on its own; below the console a module writes to the sink it is handed"
        fi
    fi
done

if [ "$status" -eq 0 ]; then
    echo "kernel-layers: $(echo "$existing" | wc -w | tr -d ' ') modules in $(echo "$layers" | wc -l | tr -d ' ') layers; each refers only to layers below it"
fi
exit "$status"
