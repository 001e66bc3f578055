#!/usr/bin/env node
import { runCommandLine } from './commandLine.js';
import { productionFeatures } from './features.js';

await runCommandLine(process.argv.slice(2), productionFeatures);
