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
#     (`crate::name`, also split over lines, `use crate::{name, ..}`, an
#     alias `use crate as k; k::name`, `super::name` with as many `super`s
#     as reach the crate root; a macro counts as the module that defines
#     it, so `serial_print!` and `serial_println!` as `drivers`), or
#     imports every item of the crate root (`use crate::*`); comments
#     and the text of string and character literals aside;
#   - a module below the console and above the layer of `out` prints on
#     its own (`serial_print!`, `drivers::serial`, `out::Serial`) instead
#     of writing to the sink it is handed.
# Run from anywhere: `sh scripts/kernel-layers.sh`; its own cases are in
# scripts/kernel-layers-test.sh.
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

# A Rust file's code with its comments (line, block, doc) and the text of
# its string and character literals taken out: what is left is what the
# compiler reads as paths. Lines are kept, so that a path split over lines
# can be joined again.
code_of() {
    awk '
        {
            line = $0
            out = ""
            n = length(line)
            i = 1
            while (i <= n) {
                c = substr(line, i, 1)
                two = substr(line, i, 2)
                if (comment > 0) {
                    if (two == "*/") { comment--; i += 2 }
                    else if (two == "/*") { comment++; i += 2 }
                    else i++
                    continue
                }
                if (raw != "") {
                    if (substr(line, i, length(raw)) == raw) { i += length(raw); raw = ""; out = out "\"\"" }
                    else i++
                    continue
                }
                if (quoted) {
                    if (c == "\\") i += 2
                    else if (c == "\"") { quoted = 0; i++; out = out "\"\"" }
                    else i++
                    continue
                }
                if (two == "//") break
                if (two == "/*") { comment = 1; i += 2; continue }
                if (c == "\"") { quoted = 1; i++; continue }
                prev = i > 1 ? substr(line, i - 1, 1) : " "
                if (c == "r" && prev !~ /[A-Za-z0-9_]/ || c == "r" && prev == "b" && (i < 3 || substr(line, i - 2, 1) !~ /[A-Za-z0-9_]/)) {
                    if (match(substr(line, i + 1), /^#*"/)) {
                        raw = "\"" substr(line, i + 1, RLENGTH - 1)
                        i += 1 + RLENGTH
                        continue
                    }
                }
                if (c == "\047") {
                    # A character literal, not a lifetime or a label.
                    if (substr(line, i + 1, 1) == "\\") {
                        j = index(substr(line, i + 3), "\047")
                        if (j > 0) { i += 3 + j; out = out " "; continue }
                    } else if (substr(line, i + 2, 1) == "\047") {
                        i += 3; out = out " "; continue
                    }
                }
                out = out c
                i++
            }
            print out
        }
    ' "$1"
}

# "<macro> <module>" for every macro a module defines with macro_rules!.
macros=$(
    for module in $existing; do
        if [ -d "$src/$module" ]; then
            files=$(find "$src/$module" -name '*.rs' | sort)
        else
            files="$src/$module.rs"
        fi
        for file in $files; do
            code_of "$file" | awk -v module="$module" '
                { s = $0
                  while (match(s, /macro_rules![ \t]*[A-Za-z_][A-Za-z0-9_]*/)) {
                      name = substr(s, RSTART, RLENGTH)
                      sub(/macro_rules![ \t]*/, "", name)
                      print name, module
                      s = substr(s, RSTART + RLENGTH)
                  } }'
        done
    done
)

# The crate modules the file $1 refers to, one a line: `crate::name`
# (also split over lines, and in `use crate::{..}` groups), through an
# alias of the crate (`use crate as k`), `super::` paths that reach the
# crate root (as many `super`s as the file and the inline modules around
# the path are deep), and a macro a module defines; `(glob)` for a glob
# import of the crate root.
references() {
    file=$1
    rel=${file#"$src"/}
    depth=$(echo "$rel" | awk -F/ '{ print NF - ($NF == "mod.rs" ? 1 : 0) }')
    code_of "$file" | awk -v depth="$depth" -v macros="$macros" '
        { text = text " " $0 }
        function flatten(s,    out, prefix, j, level, item, c, list) {
            out = ""
            while (match(s, /[A-Za-z_$][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*::\{/)) {
                prefix = substr(s, RSTART, RLENGTH - 1)
                out = out substr(s, 1, RSTART - 1)
                s = substr(s, RSTART + RLENGTH)
                level = 1; item = ""; list = ""
                for (j = 1; j <= length(s) && level > 0; j++) {
                    c = substr(s, j, 1)
                    if (c == "{") level++
                    else if (c == "}") level--
                    if (level == 0 || (level == 1 && c == ",")) {
                        if (match(item, /[A-Za-z_*][A-Za-z0-9_]*/)) list = list " " prefix substr(item, RSTART, RLENGTH) " ;"
                        item = ""
                    } else if (level == 1 && c != "}") {
                        item = item c
                    }
                }
                out = out list " "
                s = substr(s, j)
            }
            return out s
        }
        END {
            n = split(macros, words, /[ \n]+/)
            for (k = 1; k + 1 <= n; k += 2) defined[words[k]] = words[k + 1]
            gsub(/[ \t]*::[ \t]*/, "::", text)
            aliases = "crate"
            s = text
            while (match(s, /(crate|crate[ \t]+self|crate::\{[ \t]*self)[ \t]+as[ \t]+[A-Za-z_][A-Za-z0-9_]*/)) {
                alias = substr(s, RSTART, RLENGTH)
                sub(/.*[ \t]as[ \t]+/, "", alias)
                aliases = aliases " " alias
                s = substr(s, RSTART + RLENGTH)
            }
            text = flatten(text)
            gsub(/[{};]/, "\n&\n", text)
            parts = split(text, part, "\n")
            inline = 0; opened = 0; pending = 0
            for (p = 1; p <= parts; p++) {
                s = part[p]
                if (s == "{") { opened++; is_mod[opened] = pending; if (pending) inline++; pending = 0; continue }
                if (s == "}") { if (opened > 0) { if (is_mod[opened]) inline--; opened-- }; continue }
                if (s == ";") { pending = 0; continue }
                pending = (s ~ /(^|[^A-Za-z0-9_])mod[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*$/)
                s = " " s
                na = split(aliases, alias_list, " ")
                for (a = 1; a <= na; a++) {
                    t = s
                    pattern = "[^A-Za-z0-9_:]" alias_list[a] "::([a-z_][a-z0-9_]*|\\*)"
                    while (match(t, pattern)) {
                        name = substr(t, RSTART, RLENGTH)
                        sub(/.*::/, "", name)
                        print (name == "*" ? "(glob)" : name)
                        t = substr(t, RSTART + RLENGTH)
                    }
                }
                t = s
                while (match(t, /[^A-Za-z0-9_:](super::)+([a-z_][a-z0-9_]*|\*)/)) {
                    chain = substr(t, RSTART + 1, RLENGTH - 1)
                    supers = gsub(/super::/, "", chain)
                    if (supers == depth + inline) print (chain == "*" ? "(glob)" : chain)
                    t = substr(t, RSTART + RLENGTH)
                }
                t = s
                while (match(t, /[A-Za-z_][A-Za-z0-9_]*!/)) {
                    name = substr(t, RSTART, RLENGTH - 1)
                    if (name in defined) print defined[name]
                    t = substr(t, RSTART + RLENGTH)
                }
            }
        }
    '
}

for module in $existing; do
    row=$(row_of "$module")
    [ -n "$row" ] || continue
    if [ -d "$src/$module" ]; then
        files=$(find "$src/$module" -name '*.rs' | sort)
    else
        files="$src/$module.rs"
    fi
    used_all=$(for file in $files; do references "$file"; done | sort -u)
    for used in $used_all; do
        [ "$used" = "$module" ] && continue
        if [ "$used" = "(glob)" ]; then
            fail "$module imports every item of the crate root (a glob): name the modules it uses"
            continue
        fi
        used_row=$(row_of "$used")
        # Not a module: an item of the crate root (a macro, `VERSION`).
        [ -n "$used_row" ] || continue
        if [ "$used_row" -le "$row" ]; then
            fail "$module (layer $(echo "$layers" | sed -n "${row}p" | awk '{ print $1 }')) refers to $used (layer $(echo "$layers" | sed -n "${used_row}p" | awk '{ print $1 }')), which is not below it"
        fi
    done
    if [ -n "$console_row" ] && [ -n "$out_row" ] && [ "$row" -gt "$console_row" ] && [ "$row" -lt "$out_row" ]; then
        if for file in $files; do code_of "$file"; done | grep -qE 'serial_print|drivers::serial|out::Serial|(^|[^A-Za-z_])Serial([^A-Za-z_]|$)'; then
            fail "$module prints on its own; below the console a module writes to the sink it is handed"
        fi
    fi
done

if [ "$status" -eq 0 ]; then
    echo "kernel-layers: $(echo "$existing" | wc -w | tr -d ' ') modules in $(echo "$layers" | wc -l | tr -d ' ') layers; each refers only to layers below it"
fi
exit "$status"
