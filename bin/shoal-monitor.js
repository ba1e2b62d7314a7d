#!/usr/bin/env node
// Runs the shoal monitor (the dashboard) from the TypeScript sources (tsx compiles them on load).
require('tsx/cjs/api').register();
require('../control-plane/monitor/main.ts');
