#!/usr/bin/env bash
# Install what Mailroom's build and tests need, and nothing that is already there.
#
# Meant for a fresh Debian 12 machine, run as root (CI runs it with CI=true and
# no stdin). On a machine where everything is in place it only checks versions
# and finishes in a second or two. Needs network access to crates.io, the
# Debian mirrors and the npm registry only when something is missing.
#
#   wasm32-unknown-unknown target, rustfmt, clippy   (rustup)
#   trunk 0.21.14                                   (cargo install --locked)
#   wasm-bindgen-cli = the wasm-bindgen in Cargo.lock (cargo install, not --locked)
#   chromium + chromium-driver                      (apt-get)
#   python3, curl, swaks                            (apt-get; real SMTP clients for serve's tests)
#   binaryen (wasm-opt), terser, playwright-core,   (npm ci, versions pinned in package-lock.json)
#   axe-core (tests/e2e/a11y.test.mjs)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MAILROOM_ROOT"

header "setup: checking the toolchain"

# --- privileges for apt-get --------------------------------------------------
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  fi
fi

APT_UPDATED=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    die "need to install $* but apt-get is not available (this script targets Debian)"
  fi
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    die "need to install $* with apt-get: run this script as root"
  fi
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    APT_UPDATED=1
  fi
  say "apt-get install -y $*"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# --- Rust: cargo, rustup, wasm target, rustfmt, clippy -------------------------
if ! command -v cargo >/dev/null 2>&1 && [ -f "${CARGO_HOME:-$HOME/.cargo}/env" ]; then
  # shellcheck disable=SC1091
  source "${CARGO_HOME:-$HOME/.cargo}/env"
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust 1.95 with rustup first"
command -v rustup >/dev/null 2>&1 || die "rustup not found: it is needed to add the wasm32 target"
say "ok: $(rustc --version)"

installed_targets="$(rustup target list --installed)"
if grep -qx 'wasm32-unknown-unknown' <<<"$installed_targets"; then
  say "ok: rust target wasm32-unknown-unknown"
else
  say "installing: rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

missing_components=()
cargo fmt --version >/dev/null 2>&1 || missing_components+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || missing_components+=(clippy)
if [ "${#missing_components[@]}" -eq 0 ]; then
  say "ok: rustfmt, clippy"
else
  say "installing: rustup components ${missing_components[*]}"
  rustup component add "${missing_components[@]}"
fi

# --- trunk ---------------------------------------------------------------------
have_trunk=""
if command -v trunk >/dev/null 2>&1; then
  have_trunk="$(trunk --version 2>/dev/null | awk '{print $2}')"
fi
if [ "$have_trunk" = "$TRUNK_VERSION" ]; then
  say "ok: trunk $TRUNK_VERSION"
else
  say "installing: trunk $TRUNK_VERSION (found: ${have_trunk:-none}; takes ~10 min on 2 cores)"
  cargo install --locked "trunk@$TRUNK_VERSION"
  have_trunk="$(trunk --version 2>/dev/null | awk '{print $2}')"
  [ "$have_trunk" = "$TRUNK_VERSION" ] || die "installed trunk, but \`trunk --version\` says '${have_trunk:-nothing}' (is $CARGO_BIN first on PATH?)"
fi

# --- wasm-bindgen-cli, at exactly the version in Cargo.lock -------------------
WBG_VERSION="$(wasm_bindgen_lock_version)"
[ -n "$WBG_VERSION" ] || die "could not find the wasm-bindgen version in Cargo.lock"
have_wbg=""
if command -v wasm-bindgen >/dev/null 2>&1 && command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
  have_wbg="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
fi
if [ "$have_wbg" = "$WBG_VERSION" ]; then
  say "ok: wasm-bindgen-cli $WBG_VERSION"
else
  # Not --locked: one of the CLI's locked dependency versions is gone from the registry.
  say "installing: wasm-bindgen-cli $WBG_VERSION (found: ${have_wbg:-none}; takes ~4 min on 2 cores)"
  cargo install wasm-bindgen-cli --version "=$WBG_VERSION"
  have_wbg="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
  [ "$have_wbg" = "$WBG_VERSION" ] || die "installed wasm-bindgen-cli, but \`wasm-bindgen --version\` says '${have_wbg:-nothing}' (is $CARGO_BIN first on PATH?)"
fi

# --- apt: chromium, chromedriver, python3 ---------------------------------------
apt_wanted=()
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt_wanted+=(chromium chromium-driver)
fi
if ! command -v python3 >/dev/null 2>&1; then
  apt_wanted+=(python3)
fi
# Real SMTP clients for serve's tests, beside Python's smtplib.
command -v curl >/dev/null 2>&1 || apt_wanted+=(curl)
command -v swaks >/dev/null 2>&1 || apt_wanted+=(swaks)
if [ "${#apt_wanted[@]}" -eq 0 ]; then
  say "ok: /usr/bin/chromium, /usr/bin/chromedriver, $(python3 --version 2>&1), curl, swaks"
else
  say "installing: ${apt_wanted[*]}"
  apt_install "${apt_wanted[@]}"
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    die "apt-get did not provide /usr/bin/chromium and /usr/bin/chromedriver"
  fi
fi

# --- node packages: wasm-opt (binaryen), terser, playwright-core, axe-core -----
command -v node >/dev/null 2>&1 || die "node not found: Node.js >= 20 is needed (playwright-core requires it)"
command -v npm >/dev/null 2>&1 || die "npm not found: it comes with Node.js >= 20"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: playwright-core needs >= 20"

# npm ci wipes and reinstalls node_modules, so run it only when the lock file
# changed since the last install (or the install is incomplete).
lock_sum="$(sha256sum package-lock.json | awk '{print $1}')"
stamp="node_modules/.mailroom-npm-ci.sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ] \
   && [ -x node_modules/.bin/wasm-opt ] && [ -x node_modules/.bin/terser ] \
   && [ -f node_modules/playwright-core/package.json ] && [ -f node_modules/axe-core/axe.min.js ]; then
  say "ok: node packages (binaryen $(node -p 'require("./node_modules/binaryen/package.json").version'), terser $(node -p 'require("./node_modules/terser/package.json").version'), playwright-core $(node -p 'require("./node_modules/playwright-core/package.json").version'), axe-core $(node -p 'require("./node_modules/axe-core/package.json").version'))"
else
  say "installing: node packages with npm ci"
  # Playwright must never download browsers: we drive Debian's /usr/bin/chromium.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  printf '%s\n' "$lock_sum" > "$stamp"
fi

say "setup done"
