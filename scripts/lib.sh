# shellcheck shell=bash
# Shared helpers for Mailroom's scripts. Source it; do not execute it.

# Repository root (this file lives in <root>/scripts/).
MAILROOM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MAILROOM_ROOT

# cargo-installed tools (trunk, wasm-bindgen, wasm-bindgen-test-runner) live here.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in
  *":$CARGO_BIN:"*) ;;
  *) export PATH="$CARGO_BIN:$PATH" ;;
esac

# Never let anything prompt: CI has no stdin.
export DEBIAN_FRONTEND=noninteractive

# The version of trunk we build with. trunk 0.22.x needs a newer rustc than 1.95.
# shellcheck disable=SC2034 # used by setup.sh
TRUNK_VERSION="0.21.14"

# Stage header, so a long log is easy to scan.
header() {
  printf '\n==> %s\n' "$*"
}

# One line of progress.
say() {
  printf '    %s\n' "$*"
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# The version of the `wasm-bindgen` crate recorded in Cargo.lock.
# wasm-bindgen-cli must match it exactly, or the generated JS glue is rejected.
wasm_bindgen_lock_version() {
  awk '
    /^\[\[package\]\]/ { name = "" }
    /^name = "wasm-bindgen"$/ { name = "wasm-bindgen"; next }
    name == "wasm-bindgen" && /^version = / {
      gsub(/^version = "|"$/, ""); print; exit
    }
  ' "$MAILROOM_ROOT/Cargo.lock"
}
