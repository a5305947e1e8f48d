#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (`npm run build` produces dist/).
import { main } from "../dist/cli.js";

await main(process.argv);
