#!/usr/bin/env bash
# Release build of the web app, in two builds of the same app (code splitting by a second
# build):
#   dist/       the "lite" app (SMTP, DNS, POP3): the first load, held to the size budget
#   dist/full/  the "full" app (features `imap` and `teacher`, public URL /full/): the lite app goes there
#               when an IMAP lesson is opened; it plays every lesson
# Each is trunk (offline), then wasm-opt, short names for the wasm's imports
# (scripts/short-imports.mjs), a conservative CSS minifier (scripts/minify-css.mjs) and
# terser for wasm-bindgen's JS glue. Then the service worker dist/sw.js
# (scripts/make-sw.mjs, from web/sw.js), which lists the files of both builds: it makes the
# app work offline.
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
TERSER="$MAILROOM_ROOT/node_modules/.bin/terser"
[ -x "$TERSER" ] || die "terser not found at $TERSER: run scripts/setup.sh"

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

# Beyond -Oz, what wasm-opt may assume and how long it works (2.4 KB gzip off the lite wasm):
#  --low-memory-unused  no load or store reaches the lowest 1 KB of memory, so a constant
#                       added to an address can go into the instruction's offset. True here:
#                       rustc links with --stack-first, the stack takes [0, 1 MiB) and grows
#                       down from the top, and the data and the heap lie above it.
#  --flatten --rereloop -Oz  after the first -Oz, take every function's control flow apart
#                       and rebuild it (binaryen's Relooper), and shrink again: 0.8 KB gzip
#                       off the lite wasm, 2.5 KB off the full one, no change in speed
#                       measured (README, "Sizes and speed"); about 16 s more a build.
#  --converge           run all of the passes above again until the module stops shrinking.
#  --strip-producers --strip-target-features: two custom sections no browser reads (the
#                       tools that made the file, the features it was compiled for).
WASM_OPT_FLAGS=(-Oz --low-memory-unused --converge --flatten --rereloop -Oz --strip-producers --strip-target-features)

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

  header "build: wasm-opt ${WASM_OPT_FLAGS[*]} ($dir)"
  for wasm in "${wasm_files[@]}"; do
    before=$(stat -c %s "$wasm")
    tmp="$wasm.opt.tmp"
    "$WASM_OPT" "${WASM_OPT_FLAGS[@]}" "${WASM_FEATURES[@]}" "$wasm" -o "$tmp"
    mv -f "$tmp" "$wasm"
    after=$(stat -c %s "$wasm")
    say "$wasm: $before -> $after bytes"
  done

  # Short import names (a, b, ...) in the wasm and its JS glue instead of wasm-bindgen's
  # hashed ones: 4.9 KB gzip less for the two files (scripts/short-imports.mjs).
  header "build: short import names ($dir)"
  for wasm in "${wasm_files[@]}"; do
    node scripts/short-imports.mjs "$wasm" "${wasm%_bg.wasm}.js"
  done

  header "build: minify CSS ($dir)"
  css_files=("$dir"/*.css)
  if [ "${#css_files[@]}" -gt 0 ]; then
    node scripts/minify-css.mjs "${css_files[@]}"
    node scripts/minify-css.mjs --join "$dir"
  fi

  # wasm-bindgen's glue is an ES module: terser's (safe) default compression and short
  # local names, 1.7 KB gzip less. It keeps the module's exports and every property name,
  # such as those of the imports object the wasm looks its functions up in. (Trunk's own
  # minifier stays off: it is known to break this glue, see Trunk.toml.)
  header "build: minify JS ($dir)"
  for js in "$dir"/mailroom-*.js; do
    "$TERSER" "$js" --module --compress --mangle --output "$js.min.tmp"
    mv -f "$js.min.tmp" "$js"
  done
done

# Offline use is one for the site, at its root (index.html links /manifest.webmanifest and
# loads /offline.js): the full build's copies would only be unused files.
rm -rf dist/full/manifest.webmanifest dist/full/icons dist/full/offline.js
# The guide for lesson writers (Trunk.toml's hook writes it into both) is the teachers' page's,
# in the full build.
rm -f dist/guide.html

# The page's inline script fetches the lesson the address names while the app loads, when
# it is one of these (scripts/early-lesson.mjs).
header "build: the lessons the page fetches early"
node scripts/early-lesson.mjs --lite dist --full dist/full

# Last: the service worker's list of files and its version come from what is in dist/ now.
header "build: service worker (dist/sw.js)"
node scripts/make-sw.mjs dist

say "release build in dist/ (lite) and dist/full/ (full, with IMAP)"
