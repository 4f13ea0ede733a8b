'use strict';
// Test support: runs one exported async function of a TypeScript module in a child process
// (`node tsChild.js <module.ts> <export> <json args>`), so a spec can SIGKILL it mid-way.
// TypeScript is transpiled on require; no build is needed.
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, file) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: file,
  });
  module._compile(outputText, file);
};

const [file, name, args] = process.argv.slice(2);
const loaded = require(file);
loaded[name](...JSON.parse(args))
  .then(() => process.stdout.write('done\n'))
  .catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
