#!/usr/bin/env node
// Runs a shoal node from the TypeScript sources (tsx compiles them on load; no build step).
require('tsx/cjs/api').register();
require('../services/node/main.ts');
