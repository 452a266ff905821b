#!/usr/bin/env bash
# Run every Mailroom check, in order, stopping at the first failure:
#
#   setup        install what is missing (scripts/setup.sh)
#   fmt          cargo fmt --all --check
#   clippy       cargo clippy --workspace --all-targets -- -D warnings
#   deps         mailroom-core has no web dependency (cargo tree)
#   native       cargo test --workspace, and the full app's tests (core unit tests; serve's tests drive
#                the binary with Python's smtplib)
#   browser      wasm-bindgen tests of the web app in headless Chromium (the lite app,
#                then the full app: POP3, IMAP, the teachers' tools)
#   build        release build into dist/ (scripts/build.sh)
#   size         size budget of dist/ (scripts/size.sh)
#   e2e          the learner's journey in headless Chromium (node --test tests/e2e/)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MAILROOM_ROOT"

started=$SECONDS
stage_started=$SECONDS
current_stage=""

stage() {
  if [ -n "$current_stage" ]; then
    say "($current_stage took $(( SECONDS - stage_started ))s)"
  fi
  current_stage="$1"
  stage_started=$SECONDS
  header "test: $*"
}

on_exit() {
  status=$?
  if [ "$status" -ne 0 ]; then
    printf '\nFAILED in stage "%s" (exit %d) after %ds\n' "$current_stage" "$status" $(( SECONDS - started )) >&2
  fi
}
trap on_exit EXIT

stage setup
scripts/setup.sh

stage fmt "cargo fmt --all --check"
cargo fmt --all --check

stage clippy "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

stage deps "mailroom-core has no web dependency"
if cargo tree -p mailroom-core -e normal --prefix none | grep -E '^(yew|web-sys|js-sys|wasm-bindgen|gloo)'; then
  echo "mailroom-core must not depend on web crates (see above)" >&2
  exit 1
fi
say "ok: $(cargo tree -p mailroom-core -e normal --prefix none | sort -u | tr '\n' ' ')"

stage native "cargo test --workspace, then the full app's (features imap, teacher)"
cargo test --workspace
cargo test -p mailroom --features imap,teacher

stage browser "cargo test -p mailroom --target wasm32-unknown-unknown (headless Chromium)"
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p mailroom --target wasm32-unknown-unknown
# The full build (POP3, IMAP, the teachers' tools): the same tests and those that need it.
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p mailroom --target wasm32-unknown-unknown --features imap,teacher

stage build "scripts/build.sh"
scripts/build.sh

stage size "scripts/size.sh"
scripts/size.sh

stage e2e "node --test tests/e2e/*.test.mjs"
# A glob rather than the directory: Node >= 21 reads --test arguments as glob patterns.
node --test tests/e2e/*.test.mjs

say "($current_stage took $(( SECONDS - stage_started ))s)"
printf '\nALL CHECKS PASSED in %ds\n' $(( SECONDS - started ))
