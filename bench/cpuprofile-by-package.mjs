// Summarizes a V8 .cpuprofile (node --cpu-prof) by package, for whoever optimizes a cold CLI run:
// 1. by dependency: each sample charged to the npm package svcmgr's code called into (the
//    frame just below the innermost svcmgr frame: dockerode's cost includes the ssh2, grpc and
//    protobufjs it loads; node's module loader working for a package counts for it), or, with
//    no svcmgr frame on the stack, to the outermost package (oclif starting up), else to node;
// 2. self time per package (where the CPU literally was), and the heaviest files.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/run.js -s svc2 print status
//   node bench/cpuprofile-by-package.mjs /tmp/prof/*.cpuprofile [top-files]
import fs from 'node:fs'

const [file, topArg] = process.argv.slice(2)
if (!file) {
  console.error('usage: node bench/cpuprofile-by-package.mjs FILE.cpuprofile [top-files]')
  process.exit(2)
}
const prof = JSON.parse(fs.readFileSync(file, 'utf8'))
const byId = new Map(prof.nodes.map(n => [n.id, n]))
const selfUs = new Map()
const deltas = prof.timeDeltas
for (let i = 0; i < prof.samples.length; i++)
  selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + (deltas[i] ?? 0))

function packageOf(url, fn) {
  if (!url)
    return fn === '(garbage collector)'
      ? '(gc)'
      : fn === '(idle)'
        ? '(idle: waiting for I/O)'
        : fn === '(program)'
          ? '(program: V8/native, module loading)'
          : `(${fn || 'native'})`
  if (url.startsWith('node:')) return 'node: internals'
  const p = url.replace(/^file:\/\//, '')
  const nm = p.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const rest = p.slice(nm + '/node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  const pl = /\/plugins\/([^/]+)\//.exec(p)
  if (pl) return `svcmgr plugins/${pl[1]}`
  if (/\/(dist|bin)\//.test(p)) return 'svcmgr core'
  return p
}

const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const isSvcmgr = k => k.startsWith('svcmgr ')
const isPackage = k => !k.startsWith('(') && !k.startsWith('node:') && !k.startsWith('/')

/** The dependency a sample is charged to (see the header). */
function dependencyOf(id) {
  const chain = [] // leaf first
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const {url, functionName} = byId.get(cur).callFrame
    chain.push(packageOf(url, functionName))
  }
  const inner = chain.findIndex(isSvcmgr)
  if (inner >= 0) {
    for (let i = inner - 1; i >= 0; i--) if (isPackage(chain[i]) && !isSvcmgr(chain[i])) return chain[i]
    return chain[inner]
  }
  for (let i = chain.length - 1; i >= 0; i--) if (isPackage(chain[i])) return chain[i]
  return chain[0].startsWith('(') ? chain[0] : 'node: internals'
}

const pkg = new Map()
const deps = new Map()
const files = new Map()
let total = 0
for (const [id, us] of selfUs) {
  const n = byId.get(id)
  const {url, functionName} = n.callFrame
  const k = packageOf(url, functionName)
  pkg.set(k, (pkg.get(k) ?? 0) + us)
  const d = dependencyOf(id)
  deps.set(d, (deps.get(d) ?? 0) + us)
  if (url) files.set(url, (files.get(url) ?? 0) + us)
  total += us
}
const ms = us => (us / 1000).toFixed(1).padStart(7)
const pct = us => `${((100 * us) / total).toFixed(1).padStart(5)}%`
const top = Number(topArg ?? 15)
const list = (m, n = top) => {
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`${ms(us)} ms ${pct(us)}  ${k.replace(/^file:\/\/\/work\/main\//, '')}`)
}
console.log(`total sampled ${ms(total)} ms (profile wall ${((prof.endTime - prof.startTime) / 1000).toFixed(1)} ms)`)
console.log('\n1. charged to the dependency svcmgr called into (incl. what it loads):')
list(deps)
console.log('\n2. self time by package:')
list(pkg)
console.log(`\n3. top ${top} files by self time:`)
list(files)
