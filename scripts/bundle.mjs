#!/usr/bin/env node
// Bundles the CLI (and each core plugin) with esbuild into dist/bundle/: a few ES module files
// where tsc's output is one file per module, so a cold start opens tens of files, not hundreds
// (docs/architecture.md, "Build"). tsc still emits dist/ (the kit's declarations, dist/index.js,
// svcmgr/testing); the bundles are what bin/run.js and oclif load.
//
//   node scripts/bundle.mjs            the root: src/main.ts, src/plugins-commands.ts, the interrupt handlers
//   node scripts/bundle.mjs plugin     the core plugin in the working folder: src/hooks/drivers.ts → drivers.mjs
//                                      and drivers.script.js (the lean path's), and, if it has commands,
//                                      src/commands.ts → commands.mjs; its dependencies other than
//                                      @oclif/core stay in node_modules, loaded when first imported
//                                      (dockerode: only by the calls that need it)
//
// Code splitting: a module two entries share is one chunk (one instance: the interrupt handlers
// bin/run.js installs are the ones the commands use), and every `await import(...)` of a bundled
// package (cosmiconfig, listr2, execa) is a chunk of its own, loaded only when reached.
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import {builtinModules, createRequire} from 'node:module'
import path from 'node:path'
import {parse} from 'acorn'
import {build} from 'esbuild'

const requireBuiltin = createRequire(import.meta.url)
const BUILTINS = new Set(builtinModules.filter(m => !m.startsWith('_')))
const JS_NAME = /^[A-Za-z_$][\w$]*$/

// Node's built-in modules as CommonJS (process.getBuiltinModule): an ES module import of one goes
// through the ES module loader, which makes it a module of its own and reads every export
// (node:fs's ReadStream getter loads the fs streams), a few ms of a cold start over a dozen of
// them. Each importing file gets its own stand-in (its path carries the importer), so that no
// stand-in becomes a chunk of its own; the exports it does not use are dropped (pure).
const builtinsAsCommonJs = {
  name: 'builtins-as-commonjs',
  setup(b) {
    b.onResolve({filter: /^[a-z0-9_/:]+$/}, args => {
      const name = args.path.replace(/^node:/, '')
      if (!BUILTINS.has(name) || args.kind !== 'import-statement') return undefined
      return {path: `node:${name}?${args.importer}`, namespace: 'svcmgr-builtin'}
    })
    b.onLoad({filter: /.*/, namespace: 'svcmgr-builtin'}, args => {
      const name = args.path.slice(0, args.path.indexOf('?'))
      const keys = Object.keys(requireBuiltin(name)).filter(k => JS_NAME.test(k) && k !== 'default')
      const lines = [`const m = process.getBuiltinModule(${JSON.stringify(name)})`, 'export default m']
      for (const k of keys) lines.push(`export const ${k} = /* @__PURE__ */ (() => m.${k})()`)
      return {contents: lines.join('\n'), loader: 'js'}
    })
  },
}

// what every build shares, ES module bundle or script bundle
const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
}

// typescript: oclif's ts-path code requires it only for development (.ts) plugins; 9 MB if bundled
const ALWAYS_EXTERNAL = ['typescript']

async function bundle({
  root,
  entryPoints,
  external,
  splitting = true,
  clean = true,
  plugins = [],
  chunkNames = 'chunks/[name]-[hash]',
}) {
  const outdir = path.join(root, 'dist', 'bundle')
  if (clean) fs.rmSync(outdir, {recursive: true, force: true})
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    ...COMMON,
    splitting,
    format: 'esm',
    outExtension: {'.js': '.mjs'},
    entryNames: '[name]',
    chunkNames,
    external: [...ALWAYS_EXTERNAL, ...external],
    // CommonJS packages inside an ES module bundle call require() (Node built-ins, JSON)
    banner: {
      js: "import {createRequire as __svcmgrCreateRequire} from 'node:module'\nconst require = __svcmgrCreateRequire(import.meta.url)",
    },
    metafile: true,
    plugins: [...plugins, builtinsAsCommonJs],
  })
  const outputs = Object.keys(result.metafile.outputs)
  const bytes = outputs.reduce((n, f) => n + result.metafile.outputs[f].bytes, 0)
  console.log(
    `bundled ${path.relative(process.cwd(), outdir) || '.'}: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB`,
  )
}

/** Where the code's `import(...)` expressions start (acorn's AST: ImportExpression nodes). */
function importExpressionStarts(code) {
  const starts = []
  const visit = node => {
    if (Array.isArray(node)) node.forEach(visit)
    else if (node && typeof node.type === 'string') {
      if (node.type === 'ImportExpression') starts.push(node.start)
      for (const key in node) if (key !== 'type' && typeof node[key] === 'object') visit(node[key])
    }
  }
  visit(parse(code, {ecmaVersion: 'latest', sourceType: 'script'}))
  return starts.sort((a, b) => a - b)
}

/**
 * `entry` as a script bundle, dist/bundle/<name>.script.js, which bin/run.js runs with V8's code
 * cache (src/cli/cached-script.ts, its format): one CommonJS-style function, everything bundled
 * in but `external`; its `import()`s (a plugin's hook, cosmiconfig's JavaScript settings, the
 * externals) call `__svcmgrImport`, `import.meta.url` is `__svcmgrUrl`. No chunks: a script
 * cannot share an ES module's; a lazily imported package is inlined, and compiled (pre-parsed
 * only, where the cache has no code for it) when first called.
 */
async function scriptBundle({root, name, entry, external, plugins = []}) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    ...COMMON,
    write: false,
    format: 'cjs',
    external: [...ALWAYS_EXTERNAL, ...external],
    define: {'import.meta.url': '__svcmgrUrl'},
    plugins: [...plugins, builtinsAsCommonJs],
  })
  const code = result.outputFiles[0].text
  let body = ''
  let at = 0
  for (const start of importExpressionStarts(code)) {
    body += code.slice(at, start) + '__svcmgrImport'
    at = start + 'import'.length
  }
  body = `(function (exports, require, module, __filename, __dirname, __svcmgrUrl, __svcmgrImport) {${body}${code.slice(at)}\n})`
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16)
  const file = path.join(root, 'dist', 'bundle', `${name}.script.js`)
  fs.writeFileSync(file, `// svcmgr script ${hash}\n${body}\n`)
  // its import(), resolving from this folder as the ES module bundle's would
  fs.writeFileSync(
    path.join(root, 'dist', 'bundle', `${name}.script-import.mjs`),
    `// ${name}.script.js's import() (src/cli/cached-script.ts)\nexport default (specifier, options) => import(specifier, options)\n`,
  )
  console.log(`bundled ${path.relative(process.cwd(), file)}: ${(fs.statSync(file).size / 1024).toFixed(0)} KiB`)
}

const here = process.cwd()
if (process.argv[2] === 'plugin') {
  const pjson = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'))
  // @oclif/core is bundled into the commands' chunk (the driver hook uses its types only)
  const external = Object.keys(pjson.dependencies ?? {}).filter(d => d !== '@oclif/core')
  // the hook and the commands are builds of their own: drivers.mjs, which every status and
  // action loads, is then one file rather than one and the chunks it shares with commands.mjs
  // (the engine client: its module state, the event streams, only the drivers use)
  await bundle({root: here, entryPoints: {drivers: 'src/hooks/drivers.ts'}, external})
  // and as a script bundle, which the lean path runs with a code cache (a core plugin's only)
  await scriptBundle({root: here, name: 'drivers', entry: 'src/hooks/drivers.ts', external})
  if (fs.existsSync(path.join(here, 'src/commands.ts')))
    await bundle({root: here, entryPoints: {commands: 'src/commands.ts'}, external, clean: false})
} else {
  const root = path.resolve(import.meta.dirname, '..')
  // the interrupt state bin/run.js installs is interrupts.mjs's, one file of its own (no chunk:
  // bin/run.js loads it first thing, for every command); every other bundle imports that file
  // (so their chunks lie beside it: an external path is written as given, whatever the folder)
  const interruptsExternal = {
    name: 'interrupts-external',
    setup(b) {
      b.onResolve({filter: /\/interrupts\.js$/}, args =>
        path.resolve(args.resolveDir, args.path) === path.join(root, 'src/services/interrupts.js')
          ? {path: './interrupts.mjs', external: true}
          : undefined,
      )
    },
  }
  await bundle({root, entryPoints: {interrupts: 'src/services/interrupts.ts'}, external: [], splitting: false})
  await bundle({
    root,
    entryPoints: {svcmgr: 'src/main.ts', 'plugins-commands': 'src/plugins-commands.ts'},
    // npm's machinery: loaded from node_modules by the `plugins` commands only
    external: ['@oclif/plugin-plugins'],
    clean: false,
    plugins: [interruptsExternal],
    chunkNames: '[name]-[hash]',
  })
  // without oclif, two script bundles of their own (no chunk shared with svcmgr.mjs nor with each
  // other), run with a code cache: lean.script.js answers print status, lean-actions.script.js
  // the plain actions, apply and validate. A cold status then opens one file of svcmgr's (each
  // costs it a few tenths of a ms) and compiles none of it once cached
  for (const [name, entry] of [
    ['lean', 'src/cli/lean-entry.ts'],
    ['lean-actions', 'src/cli/lean-actions-entry.ts'],
  ])
    await scriptBundle({
      root,
      name,
      entry,
      // plan-svg's graphviz (1.5 MB, for --format svg only) is loaded from node_modules when asked
      external: ['@oclif/plugin-plugins', '@viz-js/viz'],
      plugins: [interruptsExternal],
    })
  // the loader of both, a build of its own (no chunk): bin/run.js imports it before either
  await bundle({
    root,
    entryPoints: {'cached-script': 'src/cli/cached-script.ts'},
    external: [],
    splitting: false,
    clean: false,
  })
}
