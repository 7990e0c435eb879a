#!/usr/bin/env node
/**
 * Entry point of the `sandbox-executor` command.
 */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
