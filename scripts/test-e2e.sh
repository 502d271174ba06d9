#!/usr/bin/env bash
# End-to-end browser test of the playground: Debian's Chromium (installed with apt if missing),
# playwright-core from npm (tests/e2e, `npm ci`; it drives the system browser and never downloads
# one), and the server binary built by cargo. Also frames the playground the way a Hugging Face
# Space does, and from a site that must be refused. Saves screenshots to target/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "installing chromium with apt" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node and npm are needed for the browser test" >&2
  exit 1
fi
# Reinstall only when the installed playwright-core is not the locked one.
installed_matches_lock() {
  node -e '
    const lock = require("./package-lock.json").packages["node_modules/playwright-core"].version;
    const have = require("./node_modules/playwright-core/package.json").version;
    process.exit(lock === have ? 0 : 1);' 2>/dev/null
}
(cd tests/e2e && { installed_matches_lock || npm ci --no-audit --no-fund --loglevel=error; })

bin=${SQLENV_BIN:-$PWD/target/debug/sqlenv}
if [ -z "${SQLENV_BIN:-}" ]; then
  cargo build --quiet --bin sqlenv
fi

cd tests/e2e
SQLENV_BIN="$bin" CHROMIUM="$chromium" node --test playground.test.mjs
