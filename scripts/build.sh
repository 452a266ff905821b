#!/usr/bin/env bash
# Release build of the web app, in two builds of the same app (code splitting by a second
# build):
#   dist/       the "lite" app (SMTP, DNS, POP3): the first load, held to the size budget
#   dist/full/  the "full" app (features `imap` and `teacher`, public URL /full/): the lite app goes there
#               when an IMAP lesson is opened; it plays every lesson
# Each is trunk (offline), then wasm-opt -Oz and a conservative CSS minifier
# (scripts/minify-css.mjs).
#
# Assumes the tools are installed (scripts/setup.sh). Lessons are fetched from lessons/
# next to each page (index.html's copy-dir), so dist/ is the whole app: serve it as static
# files, at the root of a site.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MAILROOM_ROOT"

WASM_OPT="$MAILROOM_ROOT/node_modules/.bin/wasm-opt"
[ -x "$WASM_OPT" ] || die "wasm-opt not found at $WASM_OPT: run scripts/setup.sh"

# WebAssembly features that rustc (>= 1.87, LLVM 20) enables by default for
# wasm32-unknown-unknown and that the wasm-bindgen output uses; wasm-opt must
# be told, or it rejects the module ("invalid code after misc prefix" and the like).
# Every browser we target (Chromium, Firefox, Safari of 2023+) supports them all.
WASM_FEATURES=(
  --enable-bulk-memory
  --enable-bulk-memory-opt
  --enable-nontrapping-float-to-int
  --enable-sign-ext
  --enable-mutable-globals
  --enable-reference-types
  --enable-multivalue
)

header "build: cargo fetch"
cargo fetch

header "build: trunk build --release --offline (lite: dist/)"
trunk build --release --offline

# After the lite build: trunk empties its dist folder first.
header "build: trunk build --release --offline --features imap,teacher (full: dist/full/)"
trunk build --release --offline --features imap,teacher --dist dist/full --public-url /full/

shopt -s nullglob
for dir in dist dist/full; do
  wasm_files=("$dir"/*.wasm)
  [ "${#wasm_files[@]}" -gt 0 ] || die "trunk produced no .wasm in $dir/"

  header "build: wasm-opt -Oz ($dir)"
  for wasm in "${wasm_files[@]}"; do
    before=$(stat -c %s "$wasm")
    tmp="$wasm.opt.tmp"
    "$WASM_OPT" -Oz "${WASM_FEATURES[@]}" "$wasm" -o "$tmp"
    mv -f "$tmp" "$wasm"
    after=$(stat -c %s "$wasm")
    say "$wasm: $before -> $after bytes"
  done

  header "build: minify CSS ($dir)"
  css_files=("$dir"/*.css)
  if [ "${#css_files[@]}" -gt 0 ]; then
    node scripts/minify-css.mjs "${css_files[@]}"
  fi
done

say "release build in dist/ (lite) and dist/full/ (full, with IMAP)"
