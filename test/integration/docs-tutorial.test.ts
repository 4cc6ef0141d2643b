/**
 * docs/tutorial.md runs as written: its ```sh blocks, in order, each in bash with `svcmgr` on
 * PATH, a private state root and the test engine. The engine's state is checked after the
 * blocks that change it, not their output.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {expect} from 'chai'
import {inspectContainer, removeServiceContainers, requireEngine} from './support/cli.js'

// @ts-expect-error a plain ES module of scripts/, without types
import {shBlocks} from '../../scripts/doc-blocks.mjs'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const blocks: string[] = shBlocks(path.join(repo, 'docs/tutorial.md'))
// the plan picture embedded in the tutorial, and the block whose output it is
const PICTURE_COMMAND = 'svcmgr -s svc2 start --dry-run --format mermaid\n'
function embeddedPicture(): string | undefined {
  const doc = fs.readFileSync(path.join(repo, 'docs/tutorial.md'), 'utf8')
  const opening = '```sh\n' + PICTURE_COMMAND + '```\n\n```mermaid\n'
  const at = doc.indexOf(opening)
  if (at < 0) return undefined
  const body = at + opening.length
  return doc.slice(body, doc.indexOf('```', body))
}

describe('docs/tutorial.md runs as written', function () {
  this.timeout(300_000)
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-doc-'))
  const bin = path.join(root, 'bin')
  let ran = false

  before(async function () {
    requireEngine()
    const netns = await execa('ip', ['netns', 'list'])
    if (/\bsvcmgr-demo\b/.test(netns.stdout)) {
      console.log(
        '      skipped: a namespace svcmgr-demo already exists (left by scripts/tutorial.sh?): the tutorial makes its own',
      )
      this.skip()
    }
    fs.mkdirSync(bin)
    fs.symlinkSync(path.join(repo, 'bin/run.js'), path.join(bin, 'svcmgr'))
    ran = true
  })
  after(async () => {
    if (ran) {
      await removeServiceContainers('svc2', 'busybox')
      await execa('ip', ['netns', 'del', 'svcmgr-demo'], {reject: false})
      await execa('ip', ['link', 'del', 'svcdemo0'], {reject: false})
    }
    fs.rmSync(root, {recursive: true, force: true})
  })

  it('has the blocks it should', () => {
    expect(blocks.length).to.be.at.least(10)
  })

  it('runs every block; the containers, the address and the upgrade are real mid-way', async () => {
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      SVCMGR_ROOT: path.join(root, 'state'),
      SVCMGR_NODENAME: 'deb1',
      CI: 'true',
    }
    const checked = new Set<string>()
    for (const [i, block] of blocks.entries()) {
      const r = await execa('bash', ['-euo', 'pipefail', '-c', block], {cwd: repo, env, reject: false, all: true})
      if (r.exitCode !== 0)
        throw new Error(`block ${i + 1} failed (exit ${r.exitCode}):\n${block}\n--- output:\n${r.all}`)
      if (block === PICTURE_COMMAND) {
        // what the command prints now, on the host as the tutorial left it, is what the document shows
        expect(embeddedPicture(), 'the mermaid block after the picture command').to.equal(`${r.stdout}\n`)
        checked.add('picture')
      }
      if (block.includes('curl -s')) {
        expect(r.all).to.include('svcmgr nginx stand-in')
        checked.add('http')
      }
      if (block.startsWith('svcmgr -s svc2 docker images')) {
        for (const n of [1, 2, 3])
          expect((await inspectContainer(`svc2.container.${n}`))?.running, `svc2.container.${n}`).to.equal(true)
        checked.add('up')
      }
      if (block.includes('svcmgr apply "$ci/plan.json"') && block.includes('--detailed-exitcode')) {
        // apply repaired the drift, then the saved plan upgraded container#3, and apply says in sync
        const c3 = await inspectContainer('svc2.container.3')
        expect(c3!.running).to.equal(true)
        expect(c3!.image).to.equal('redis:3.0')
        expect(r.all).to.include('~ container#3.image: redis → redis:3.0')
        expect(r.all).to.include('no changes')
        checked.add('apply')
      }
      if (block.includes('docker rm -f svc2.container.2')) {
        expect(r.all).to.match(/stale plan: .*container#2/)
        expect((await inspectContainer('svc2.container.2'))?.running).to.equal(true)
        checked.add('stale')
      }
      if (block.includes('container#3.image=redis\n') && block.includes('start --dry-run')) {
        // the state-aware plan: the drifted container#3 only, and the dry run changed nothing
        expect(r.all).to.include('drift: image (start recreates it)')
        expect(r.all).to.include('[4] container#3  recreate: image redis:3.0 → redis')
        expect(r.all).to.include('summary: 1 to recreate, 3 already up')
        expect((await inspectContainer('svc2.container.3'))?.image).to.equal('redis:3.0')
        checked.add('drift')
      }
      if (block.includes('container#3.image=redis:3.0')) {
        const c3 = await inspectContainer('svc2.container.3')
        expect(c3!.running).to.equal(true)
        expect(c3!.image).to.equal('redis:3.0')
        checked.add('upgrade')
      }
    }
    expect([...checked].sort()).to.deep.equal(['apply', 'drift', 'http', 'picture', 'stale', 'up', 'upgrade'])
    expect(await inspectContainer('svc2.container.1')).to.equal(undefined)
  })
})
