#!/usr/bin/env node
'use strict';
// `mimeo` on the PATH of npm users: runs the native binary with the same
// arguments, passes signals on (so `kill` of this process stops the server
// gracefully) and ends with the binary's exit status or signal.

const { spawn } = require('node:child_process');
const { binaryPath } = require('../index.js');

let binary;
try {
  binary = binaryPath();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of signals) process.on(signal, () => child.kill(signal));

child.on('error', (e) => {
  console.error(`mimeo: cannot run ${binary}: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    // End the way the binary ended, so a caller sees the same signal.
    for (const s of signals) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
