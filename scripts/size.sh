#!/usr/bin/env bash
# Raw and gzip -9 sizes of the release build in dist/ (run scripts/build.sh first).
# Fails if the gzip total exceeds the budget: everything a first visit downloads. Lessons
# are fetched one at a time when opened (dist/lessons/), so a first visit downloads the
# page and one lesson: the largest one is counted.
#
# The budget is the lite app's (dist/ without dist/full/). The full app (dist/full/, with
# IMAP) is printed too, not held to the budget: it is loaded only when an IMAP lesson is
# opened. So are the files of offline use (offline.js, the service worker sw.js, the manifest
# and its icon), fetched once the app has started, and what the service worker then
# downloads for offline use.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MAILROOM_ROOT"

BUDGET_GZIP=307200 # 300 KB
DIST="${1:-dist}"

[ -f "$DIST/index.html" ] || die "no $DIST/index.html: run scripts/build.sh first"

shopt -s nullglob
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }

# Prints the sizes of the app in "$1" (its wasm, js, css, index.html and largest lesson) and
# sets total_gz and lesson_gz (the largest lesson's).
measure() {
  local DIST="$1"
  local -A raw gz
  kinds=(wasm js css html lesson)
  for kind in "${kinds[@]}"; do
    raw[$kind]=0
    gz[$kind]=0
  done

  for f in "$DIST"/*.wasm "$DIST"/*.js "$DIST"/*.css "$DIST"/index.html; do
    # Offline use, fetched after the first load: printed apart (below).
    case "${f##*/}" in sw.js | offline.js) continue ;; esac
    kind="${f##*.}"
    r=$(stat -c %s "$f")
    g=$(gzip -9 -c "$f" | wc -c)
    raw[$kind]=$(( ${raw[$kind]} + r ))
    gz[$kind]=$(( ${gz[$kind]} + g ))
  done
  # The largest lesson file: the one a first visit may open. README.md (trunk copies the
  # whole folder) is the guide to writing lessons: the page never fetches it.
  lessons=()
  for f in "$DIST"/lessons/*.md; do
    [ "$(basename "$f")" = README.md ] || lessons+=("$f")
  done
  [ "${#lessons[@]}" -gt 0 ] || die "no lessons in $DIST/lessons: is the copy-dir in index.html?"
  for f in "${lessons[@]}"; do
    g=$(gzip -9 -c "$f" | wc -c)
    if [ "$g" -gt "${gz[lesson]}" ]; then
      gz[lesson]=$g
      raw[lesson]=$(stat -c %s "$f")
    fi
  done

  total_raw=0
  total_gz=0
  printf '%-12s %12s %12s %12s\n' "file" "raw" "gzip -9" "gzip bytes"
  printf '%-12s %12s %12s %12s\n' "----" "---" "-------" "----------"
  for kind in "${kinds[@]}"; do
    label="$kind"
    [ "$kind" = html ] && label="index.html"
    [ "$kind" = lesson ] && label="1 lesson"
    printf '%-12s %12s %12s %12d\n' "$label" "$(kb "${raw[$kind]}")" "$(kb "${gz[$kind]}")" "${gz[$kind]}"
    total_raw=$(( total_raw + ${raw[$kind]} ))
    total_gz=$(( total_gz + ${gz[$kind]} ))
  done
  printf '%-12s %12s %12s %12d\n' "total" "$(kb "$total_raw")" "$(kb "$total_gz")" "$total_gz"
  lesson_gz=${gz[lesson]}
}

measure "$DIST"
first_gz=$total_gz
largest_lesson_gz=$lesson_gz
if [ -f "$DIST/full/index.html" ]; then
  printf '\nThe full app, with IMAP (%s/full/): loaded only when an IMAP lesson is opened, not on the first visit\n' "$DIST"
  measure "$DIST/full"
fi
total_gz=$first_gz

# Offline use (README, "Offline and installing"): after the first load, not in the budget.
if [ -f "$DIST/sw.js" ]; then
  printf '\nOffline use, not in the total: fetched once the app has started (sw.js at every visit)\n'
  printf '%-22s %12s %12s %12s\n' "file" "raw" "gzip -9" "gzip bytes"
  for f in "$DIST"/offline.js "$DIST"/sw.js "$DIST"/manifest.webmanifest "$DIST"/icons/*; do
    [ -f "$f" ] || continue
    g=$(gzip -9 -c "$f" | wc -c)
    printf '%-22s %12s %12s %12d\n' "${f#"$DIST"/}" "$(kb "$(stat -c %s "$f")")" "$(kb "$g")" "$g"
  done
  lessons_gz=0
  lessons=("$DIST"/lessons/*.md)
  for f in "${lessons[@]}"; do
    lessons_gz=$(( lessons_gz + $(gzip -9 -c "$f" | wc -c) ))
  done
  # The precache: the first load's files (the largest lesson counted there is one of all the
  # lessons), every lesson, the full app's page, offline.js, the manifest and the icon.
  extras_gz=0
  for f in "$DIST"/full/index.html "$DIST"/offline.js "$DIST"/manifest.webmanifest "$DIST"/icons/*; do
    if [ -f "$f" ]; then extras_gz=$(( extras_gz + $(gzip -9 -c "$f" | wc -c) )); fi
  done
  precache_gz=$(( first_gz - largest_lesson_gz + lessons_gz + extras_gz ))
  printf 'the service worker precaches the lite app and all %d lessons: %s gzip (%d bytes);\n' \
    "${#lessons[@]}" "$(kb "$precache_gz")" "$precache_gz"
  printf 'what the first load already downloaded costs only a revalidation if the server sends ETag or Last-Modified\n'
fi
printf '\nbudget (the first load, %s/ without %s/full/): %s gzip (%d bytes); used %d%%\n' "$DIST" "$DIST" "$(kb "$BUDGET_GZIP")" "$BUDGET_GZIP" $(( total_gz * 100 / BUDGET_GZIP ))

if [ "$total_gz" -gt "$BUDGET_GZIP" ]; then
  printf 'FAIL: gzip total %d bytes exceeds the budget of %d bytes\n' "$total_gz" "$BUDGET_GZIP" >&2
  exit 1
fi
printf 'OK: within budget\n'
