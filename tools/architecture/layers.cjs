/**
 * Tandem's modules and the imports each may make: the ONE list behind both
 *  - the rules `npm run lint:layers` enforces (.dependency-cruiser.cjs builds its `forbidden`
 *    rules from `allowedImports()`), and
 *  - the module graph in docs/architecture.md (tools/architecture/generate.mjs writes it
 *    between the `layers:begin`/`layers:end` markers; `npm run docs:architecture`).
 *
 * A module is a folder right under src/ or tools/. Each entry's `mayImport` is an allow-list:
 * an import from one module into another that is not on the importer's list is a breach. To
 * add an edge, add it here, run `npm run docs:architecture`, and say why in the commit. Node
 * built-ins and npm packages are not modules and are not restricted here.
 *
 * Entry fields:
 *   name        the module's name in rules, messages and the diagram
 *   path        its folder
 *   group       'src' (the product, tsconfig.json → dist/) or 'tools' (tools/tsconfig.json →
 *               dist-tools/, outside the product)
 *   summary     one line for the diagram
 *   mayImport   the modules it may import (by name)
 *   only        narrower edges: { <module>: '<sub-folder>' } — only files under that
 *               sub-folder of this module may import <module> (which must be in mayImport)
 *   importedByAll  every src module may import it (util), except the modules it imports
 *               itself (that would be a cycle); drawn dotted
 *   sealed      reached only by the modules that name it in mayImport (native), never
 *               through `mayImportProduct`
 *   mayImportProduct  (tools) may import every src module that is not sealed
 */
'use strict';

/** @type {ReadonlyArray<{name: string, path: string, group: 'src'|'tools', summary: string, mayImport: string[], only?: Record<string, string>, importedByAll?: boolean, sealed?: boolean, mayImportProduct?: boolean}>} */
const modules = [
  {
    name: 'cli',
    path: 'src/cli',
    group: 'src',
    summary: 'tandem serve, admin, verify, probe, challenge',
    // The composition root: builds stores, logical units, replicated devices and targets.
    mayImport: ['target', 'scsi', 'block', 'iscsi', 'initiator', 'replica-protocol', 'verify', 'replication'],
  },
  {
    name: 'target',
    path: 'src/target',
    group: 'src',
    summary: 'iSCSI target: connections, login, sessions, tasks',
    mayImport: ['scsi', 'iscsi'],
  },
  {
    name: 'initiator',
    path: 'src/initiator',
    group: 'src',
    summary: 'embedded iSCSI client',
    mayImport: ['iscsi', 'replica-protocol'],
  },
  {
    name: 'verify',
    path: 'src/verify',
    group: 'src',
    summary: 'verify engine: challenge, compare, repair',
    mayImport: ['initiator', 'replica-protocol', 'block'],
  },
  {
    name: 'replication',
    path: 'src/replication',
    group: 'src',
    summary: 'ReplicatedDevice, journal, delta passes, control',
    // Wraps the local store (block) and reaches the backup through the initiator.
    mayImport: ['block', 'initiator', 'verify', 'replica-protocol'],
  },
  {
    name: 'scsi',
    path: 'src/scsi',
    group: 'src',
    summary: 'SCSI device: SPC-4/SBC-3, LUs, reservations',
    // replica-protocol: Tandem's own commands (their handlers, C0h/C1h VPD pages, limits a replicating peer relies on).
    mayImport: ['block', 'replica-protocol'],
  },
  {
    name: 'iscsi',
    path: 'src/iscsi',
    group: 'src',
    summary: 'iSCSI protocol: PDUs, keys, negotiation, CHAP',
    mayImport: [],
  },
  {
    name: 'replica-protocol',
    path: 'src/replica-protocol',
    group: 'src',
    summary: "wire format of Tandem's vendor commands",
    mayImport: [],
  },
  {
    name: 'block',
    path: 'src/block',
    group: 'src',
    summary: 'BlockDevice and the backing stores',
    mayImport: ['native'],
  },
  {
    name: 'util',
    path: 'src/util',
    group: 'src',
    summary: 'leaf helpers: log, crc32c, locks, queues',
    // util/crc32c wraps the addon's CRC32C.
    mayImport: ['native'],
    importedByAll: true,
  },
  {
    name: 'native',
    path: 'src/native',
    group: 'src',
    summary: 'loads the C++ addon (native/)',
    mayImport: [],
    sealed: true,
  },
  {
    name: 'tools/bench',
    path: 'tools/bench',
    group: 'tools',
    summary: 'npm run bench',
    mayImport: ['tools/harness'],
    mayImportProduct: true,
  },
  {
    name: 'tools/conformance',
    path: 'tools/conformance',
    group: 'tools',
    summary: 'npm run test:conformance',
    mayImport: ['tools/harness'],
    mayImportProduct: true,
  },
  {
    name: 'tools/harness',
    path: 'tools/harness',
    group: 'tools',
    summary: 'launches the built target',
    mayImport: [],
    mayImportProduct: true,
  },
  {
    name: 'tools/architecture',
    path: 'tools/architecture',
    group: 'tools',
    summary: 'this list, the diagram generator',
    mayImport: [],
  },
];

const byName = new Map(modules.map((m) => [m.name, m]));

/**
 * Every allowed module-to-module edge, expanded: `kind` is 'declared' (in mayImport),
 * 'shared' (to an importedByAll module) or 'product' (a tool's mayImportProduct); `only` is
 * the sub-folder of `from` the edge is narrowed to, if any.
 * @returns {Array<{from: string, to: string, kind: 'declared'|'shared'|'product', only?: string}>}
 */
function allowedEdges() {
  const edges = [];
  const seen = new Set();
  const add = (from, to, kind, only) => {
    const key = `${from}\u0000${to}`;
    if (seen.has(key) || from === to) return;
    seen.add(key);
    edges.push(only === undefined ? { from, to, kind } : { from, to, kind, only });
  };
  for (const m of modules) {
    for (const to of m.mayImport) add(m.name, to, 'declared', m.only?.[to]);
  }
  for (const shared of modules.filter((m) => m.importedByAll)) {
    for (const m of modules) {
      if (m.group === 'src' && !shared.mayImport.includes(m.name)) add(m.name, shared.name, 'shared');
    }
  }
  for (const m of modules.filter((t) => t.mayImportProduct)) {
    for (const to of modules) if (to.group === 'src' && !to.sealed) add(m.name, to.name, 'product');
  }
  return edges;
}

/** For each module, the names of the modules it may import. */
function allowedImports() {
  const map = new Map(modules.map((m) => [m.name, []]));
  for (const e of allowedEdges()) map.get(e.from).push(e.to);
  return map;
}

/** Throws when the list names an unknown module, narrows an edge it does not allow, or has a cycle. */
function validate() {
  for (const m of modules) {
    if (!/^(src|tools)\/[a-z0-9-]+$/.test(m.path)) throw new Error(`layers.cjs: ${m.name}: path ${m.path} is not a folder right under src/ or tools/`);
    if (m.path.split('/')[0] !== m.group) throw new Error(`layers.cjs: ${m.name}: group ${m.group} does not match ${m.path}`);
    for (const to of m.mayImport) if (!byName.has(to)) throw new Error(`layers.cjs: ${m.name} may import unknown module ${to}`);
    for (const to of Object.keys(m.only ?? {})) {
      if (!m.mayImport.includes(to)) throw new Error(`layers.cjs: ${m.name}.only names ${to}, which is not in its mayImport`);
    }
    if (m.group === 'src' && m.mayImport.some((to) => byName.get(to).group !== 'src')) {
      throw new Error(`layers.cjs: ${m.name} is in src/ and may not import tools/`);
    }
  }
  // No cycles between modules: depth-first search over the allowed edges.
  const out = allowedImports();
  const state = new Map();
  const visit = (name, trail) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'active') throw new Error(`layers.cjs: the allowed edges form a cycle: ${[...trail, name].join(' → ')}`);
    state.set(name, 'active');
    for (const to of out.get(name)) visit(to, [...trail, name]);
    state.set(name, 'done');
  };
  for (const m of modules) visit(m.name, []);
}

validate();

module.exports = { modules, byName, allowedEdges, allowedImports };
