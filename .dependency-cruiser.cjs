/**
 * dependency-cruiser rules for `npm run lint:layers`. The layering itself is NOT written here:
 * every module's allow-list comes from tools/architecture/layers.cjs, the one list the diagram
 * in docs/architecture.md is generated from too. Edit that file, not these rules.
 */
'use strict';

const { modules, allowedImports } = require('./tools/architecture/layers.cjs');

const allowed = allowedImports();
const pathOf = (name) => modules.find((m) => m.name === name).path;
const anyOf = (paths) => `^(${paths.join('|')})/`;
const FIX = 'if the edge belongs, add it in tools/architecture/layers.cjs and run `npm run docs:architecture`';

/** One rule per module: an import of a src/ or tools/ file outside the module's allow-list. */
const allowListRules = modules.map((m) => {
  const mayImport = allowed.get(m.name);
  return {
    name: `layers/${m.name}`,
    comment: `${m.path} ${mayImport.length ? `may import only ${mayImport.join(', ')}` : 'may import no other module'} (node built-ins and npm packages are fine); ${FIX}`,
    severity: 'error',
    from: { path: `^${m.path}/` },
    to: { path: '^(src|tools)/', pathNot: anyOf([m.path, ...mayImport.map(pathOf)]) },
  };
});

/** Edges narrowed to one sub-folder of the importer (scsi → replica-protocol only from scsi/replica-commands). */
const narrowRules = modules.flatMap((m) =>
  Object.entries(m.only ?? {}).map(([to, sub]) => ({
    name: `layers/${m.name}->${to}`,
    comment: `in ${m.path}, only ${m.path}/${sub}/ may import ${pathOf(to)}; ${FIX}`,
    severity: 'error',
    from: { path: `^${m.path}/`, pathNot: `^${m.path}/${sub}/` },
    to: { path: `^${pathOf(to)}/` },
  })),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...allowListRules,
    ...narrowRules,
    {
      name: 'layers/unknown-module',
      comment: 'every file in src/ and tools/ belongs to a module in tools/architecture/layers.cjs: add the new folder there with the modules it may import',
      severity: 'error',
      from: { path: '^(src|tools)/', pathNot: anyOf(modules.map((m) => m.path)) },
      to: {},
    },
    {
      name: 'layers/to-unknown-module',
      comment: 'the imported file is in no module of tools/architecture/layers.cjs: add its folder there',
      severity: 'error',
      from: {},
      to: { path: '^(src|tools)/', pathNot: anyOf(modules.map((m) => m.path)) },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that cannot be resolved cannot be checked against the layers',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|dist-tools|node_modules)/' },
    // Type-only imports count: a layer may not know another's types either.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
