#!/usr/bin/env bash
# What `make test` runs: static checks first (cheap, and a failure there makes test results
# moot), then the mocha suite against real processes and a real Consul agent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "type-check (tsc --noEmit)"
npx tsc --noEmit -p tsconfig.json

step "lint (eslint, buf lint)"
npx eslint .
npx buf lint

step "gen/ is what 'make proto' produces"
bash scripts/gen-proto.sh
if [ -n "$(git status --porcelain -- gen)" ]; then
  git status --porcelain -- gen
  echo "gen/ drifted from proto/: run 'make proto' and commit gen/" >&2
  exit 1
fi

step "mocha: unit, integration and end-to-end tests"
rm -rf test-output
npx mocha "$@"
