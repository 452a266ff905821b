#!/usr/bin/env bash
# Serve Mailroom for development on http://127.0.0.1:8080 (rebuilds on change).
#
# Installs what is missing first (scripts/setup.sh). This is a debug build
# without wasm-opt; scripts/build.sh makes the release build.
#
# It serves the full app (feature `imap`) at the root, so that every lesson, IMAP ones too,
# plays here while developing; the lite app (the first load of the release build, which
# goes to full/ for IMAP lessons) is made only by scripts/build.sh.
#   ADDRESS=0.0.0.0 PORT=9000 scripts/serve.sh    # other address/port
#   scripts/serve.sh --release                     # extra args go to `trunk serve`
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MAILROOM_ROOT"

scripts/setup.sh

ADDRESS="${ADDRESS:-127.0.0.1}"
PORT="${PORT:-8080}"

header "serve: trunk serve --offline --features imap,teacher on http://$ADDRESS:$PORT/"
exec trunk serve --offline --features imap,teacher --address "$ADDRESS" --port "$PORT" "$@"
