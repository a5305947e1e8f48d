#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (`npm run build` produces dist/).
import "../dist/main.js";
