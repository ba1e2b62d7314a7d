#!/usr/bin/env node
// The shoal command line, run from the TypeScript sources (tsx compiles them on load).
require('tsx/cjs/api').register();
require('../cli/main.ts');
