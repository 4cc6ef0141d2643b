// docs/driver-guide.md runs as written: its shell blocks marked <!-- guide-test --> and its
// files marked <!-- guide-file: PATH --> are put, in document order, into one bash script run
// in an empty temp folder, with svcmgr on PATH, SVCMGR_KIT naming this checkout, and a fresh
// data dir and state root. The dev tools the guide installs come from the npm registry.
import {expect} from 'chai'
import {chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'

const REPO = new URL('../..', import.meta.url).pathname
const GUIDE = path.join(REPO, 'docs/driver-guide.md')

export interface GuideStep {
  readonly kind: 'sh' | 'file'
  readonly line: number
  readonly path?: string
  readonly text: string
}

/** The marked blocks of a markdown guide, in order. A marker is the line before the opening fence. */
export function guideSteps(markdown: string): GuideStep[] {
  const lines = markdown.split('\n')
  const steps: GuideStep[] = []
  for (let i = 0; i < lines.length; i++) {
    const marker = /^<!-- guide-(test|file: (\S+)) -->$/.exec(lines[i].trim())
    if (!marker) continue
    const fence = /^(```+)(\w*)/.exec(lines[i + 1] ?? '')
    if (!fence) throw new Error(`${GUIDE}:${i + 1}: a guide marker must be followed by a fenced block`)
    if (marker[1] === 'test' && fence[2] !== 'sh')
      throw new Error(`${GUIDE}:${i + 1}: guide-test marks a sh block, not ${fence[2] || 'an untagged one'}`)
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith(fence[1]) && l.trim() === fence[1])
    if (end === -1) throw new Error(`${GUIDE}:${i + 2}: unclosed fence`)
    const text = lines.slice(i + 2, end).join('\n') + '\n'
    steps.push(
      marker[1] === 'test' ? {kind: 'sh', line: i + 3, text} : {kind: 'file', line: i + 3, path: marker[2], text},
    )
    i = end
  }
  return steps
}

/** One bash script doing the steps: shell blocks as written, files written with quoted heredocs. */
export function guideScript(steps: readonly GuideStep[]): string {
  const out = ['set -euo pipefail']
  for (const s of steps) {
    out.push(`echo "+++ docs/driver-guide.md:${s.line}${s.kind === 'file' ? ` (${s.path})` : ''}" >&2`)
    if (s.kind === 'sh') out.push(s.text)
    else {
      if (s.text.includes('\nGUIDE_EOF\n')) throw new Error(`line ${s.line}: the file holds the heredoc delimiter`)
      out.push(`mkdir -p "$(dirname '${s.path}')"`, `cat > '${s.path}' <<'GUIDE_EOF'`, s.text + 'GUIDE_EOF')
    }
  }
  return out.join('\n') + '\n'
}

describe('docs/driver-guide.md runs as written', function () {
  this.timeout(600_000)
  let dir: string

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'svcmgr-guide-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('has its steps in order: the package, the tools, the files, build, test, pack, install, use, uninstall', () => {
    const steps = guideSteps(readFileSync(GUIDE, 'utf8'))
    expect(steps.filter(s => s.kind === 'file').map(s => s.path)).to.deep.equal([
      'package.json',
      'tsconfig.json',
      'src/driver.ts',
      'src/hooks/drivers.ts',
      'test/driver.test.ts',
    ])
    const sh = steps
      .filter(s => s.kind === 'sh')
      .map(s => s.text)
      .join('')
    for (const cmd of [
      'npm install --save-dev',
      'npm run build',
      'npm test',
      'npm pack',
      'svcmgr plugins install',
      'svcmgr -s hello start',
      'svcmgr plugins uninstall',
    ])
      expect(sh).to.include(cmd)
  })

  it('goes from an empty folder to an installed, working, then uninstalled plugin', async () => {
    const bin = path.join(dir, 'bin')
    const work = path.join(dir, 'work')
    mkdirSync(bin)
    mkdirSync(work)
    // svcmgr on PATH, as an installed svcmgr would be
    writeFileSync(
      path.join(bin, 'svcmgr'),
      `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, 'bin/run.js')}" "$@"\n`,
    )
    chmodSync(path.join(bin, 'svcmgr'), 0o755)
    const script = guideScript(guideSteps(readFileSync(GUIDE, 'utf8')))
    writeFileSync(path.join(dir, 'guide.sh'), script)
    const r = await execa('bash', [path.join(dir, 'guide.sh')], {
      cwd: work,
      reject: false,
      all: true,
      timeout: 540_000,
      env: {
        PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH}`,
        SVCMGR_KIT: REPO,
        SVCMGR_ROOT: path.join(dir, 'root'),
        SVCMGR_DATA_DIR: path.join(dir, 'data'),
        SVCMGR_CACHE_DIR: path.join(dir, 'cache'),
        SVCMGR_CONFIG_DIR: path.join(dir, 'config'),
        SVCMGR_NODENAME: 'deb1',
        NO_COLOR: '1',
        CI: 'true',
      },
    })
    const output = String(r.all)
    if (process.env.SVCMGR_GUIDE_VERBOSE) process.stderr.write(output)
    if (r.exitCode !== 0)
      throw new Error(
        `the guide's commands failed (exit ${r.exitCode}); the last output:\n${output.split('\n').slice(-60).join('\n')}`,
      )
    // what the guide shows happened for real
    expect(output).to.match(/installed v0\.1\.0/)
    expect(output).to.match(/^Driver types:\n {2}svcmgr-plugin-miniapp: app\.mini$/m)
    expect(output).to.match(/app\.mini: from plugin svcmgr-plugin-miniapp 0\.1\.0/)
    expect(output).to.match(/hello: config is valid \(1 resources\)|svc: config is valid \(1 resources\)/)
    expect(output).to.match(/app#1 +\S+ +up +mini: touch /)
    expect(output).to.include(
      '[app#1]: type app.mini is provided by the plugin svcmgr-plugin-miniapp (version 0.1.0 was installed), which is no longer installed',
    )
  })
})
