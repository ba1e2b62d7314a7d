#!/usr/bin/env node
// Runs a shoal control-plane instance from the TypeScript sources (tsx compiles them on load).
require('tsx/cjs/api').register();
require('../control-plane/main.ts');
