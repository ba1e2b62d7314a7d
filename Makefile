# shoal — the two commands a newcomer needs are `make up` and `make test`; each installs what
# it needs first (npm packages with `npm ci`, a Consul agent when none is on PATH).
SHELL := bash
NPM_STAMP := node_modules/.package-lock.json
SHOAL := node bin/shoal.js

.PHONY: help install consul chromium openssl proto config-reference up down status logs lab lab-down test typecheck lint format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-16s %s\n", $$1, $$2 }'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) consul ## install npm packages and Consul (project-local if none on PATH)

consul: ## install Consul under .tools/ unless one is on PATH
	@bash scripts/install-consul.sh >/dev/null

proto: $(NPM_STAMP) ## regenerate gen/ from proto/ (ts-proto + reflection descriptors)
	bash scripts/gen-proto.sh

config-reference: $(NPM_STAMP) ## regenerate deploy/cluster.schema.json and docs/configuration.md from the config schema
	npx tsx scripts/gen-config-reference.ts

up: install ## start Consul (if none is reachable) and a 5-node cluster in the background (TLS=1: mutual TLS)
	@PATH="$$(dirname "$$(bash scripts/install-consul.sh)"):$$PATH" $(SHOAL) up --config deploy/local/cluster.json $(if $(TLS),--tls)

down: $(NPM_STAMP) ## stop everything `make up` started
	@$(SHOAL) down

status: $(NPM_STAMP) ## print the cluster's nodes, roles, addresses and health
	@$(SHOAL) status --config deploy/local/cluster.json

logs: $(NPM_STAMP) ## follow the nodes' logs
	@$(SHOAL) logs --follow

lab: install ## (Linux, root) five hosts as network namespaces, a 3-server Consul, the cluster placed across them (docs/lab.md)
	@PATH="$$(dirname "$$(bash scripts/install-consul.sh)"):$$PATH" $(SHOAL) lab up

lab-down: $(NPM_STAMP) ## remove everything `make lab` made
	@$(SHOAL) lab down

chromium: ## install Debian's Chromium for the browser tests unless one is there
	@bash scripts/install-chromium.sh >/dev/null

openssl: ## install Debian's openssl CLI (shoal certs) unless it is there
	@bash scripts/install-openssl.sh

test: install chromium openssl ## type-check, lint, check gen/ and the config reference are current, run every test (browser tests included)
	@PATH="$$(dirname "$$(bash scripts/install-consul.sh)"):$$PATH" CHROMIUM_PATH="$$(bash scripts/install-chromium.sh)" bash scripts/test.sh

typecheck: $(NPM_STAMP) ## tsc --noEmit
	npx tsc --noEmit -p tsconfig.json

lint: $(NPM_STAMP) ## eslint (type-aware, no import cycles), prettier's check and buf lint
	npx eslint .
	npx prettier --check --log-level warn .
	npx buf lint

format: $(NPM_STAMP) ## rewrite the sources in prettier's format
	npx prettier --write --log-level warn .

clean: ## stop a running cluster, then remove installed tools, run directory and test output
	@if [ -f .run/state.json ] && [ -d node_modules ]; then $(SHOAL) down; fi
	rm -rf node_modules .tools .run test-output
