#!/usr/bin/env bash
# What `make test` runs: static checks first (cheap, and a failure there makes test results
# moot), then the mocha suite against real processes and a real Consul agent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

# CI reads the closing "N passed, N failed" line; a static check that fails before mocha runs
# still has to say so in that form.
mocha_ran=false
trap 'rc=$?; if [ "$rc" -ne 0 ] && [ "$mocha_ran" = false ]; then printf "\n0 passed, 1 failed\n"; fi' EXIT

step "type-check (tsc --noEmit)"
npx tsc --noEmit -p tsconfig.json

step "lint (eslint, prettier, buf lint)"
npx eslint .
npx prettier --check --log-level warn . || { echo "files not in prettier's format: run 'make format' and commit" >&2; exit 1; }
npx buf lint

step "gen/ is what 'make proto' produces"
bash scripts/gen-proto.sh
if [ -n "$(git status --porcelain -- gen)" ]; then
  git status --porcelain -- gen
  echo "gen/ drifted from proto/: run 'make proto' and commit gen/" >&2
  exit 1
fi

step "the config reference is what 'make config-reference' produces"
npx tsx scripts/gen-config-reference.ts
if [ -n "$(git status --porcelain -- deploy/cluster.schema.json docs/configuration.md)" ]; then
  git status --porcelain -- deploy/cluster.schema.json docs/configuration.md
  echo "deploy/cluster.schema.json or docs/configuration.md drifted from the config schema: run 'make config-reference' and commit both" >&2
  exit 1
fi

step "mocha: unit, in-process RPC, integration, end-to-end and browser tests"
# Clusters a killed earlier run left behind would hold their processes; stop them first.
for run_dir in test-output/cli-cluster/run test-output/control-plane/*/run; do
  if [ -d "$run_dir" ]; then node bin/shoal.js down --run-dir "$run_dir" --timeout 2000 >/dev/null || true; fi
done
# Labs (network namespaces) of a killed earlier run, found through their layout files.
for lab_dir in test-output/lab/*/; do
  if [ -f "${lab_dir}lab.json" ]; then node bin/shoal.js lab down --run-dir "$lab_dir" >/dev/null || true; fi
done
rm -rf test-output
# Arguments are mocha's: files to run, options, or both. Options alone (`npm test -- --grep
# failover`) apply to every suite, so the suites are added unless a file or folder is named.
suites=('test/unit/**/*.test.ts' 'test/rpc/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/e2e/**/*.test.ts' 'test/lab/**/*.test.ts' 'test/browser/**/*.test.ts')
for arg in "$@"; do
  if [[ "$arg" == test/* ]]; then suites=(); break; fi
done
mocha_ran=true
npx mocha "${suites[@]}" "$@"
