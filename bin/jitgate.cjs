#!/usr/bin/env node
'use strict';
// `npx jitgate ...` runs under plain node: register tsx, then hand over to cli/cli.ts.
require('tsx/cjs/api').register();
const { main } = require('../cli/cli.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`jitgate: ${err?.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
