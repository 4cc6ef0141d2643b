/** The service store: what a write refuses leaves the stored config and etc/ as they were; an empty stored file is not a service. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import type {ServiceDocument} from '../../src/config/document.js'
import {ConfigFormatError} from '../../src/errors.js'
import type {Settings} from '../../src/config/settings.js'
import {ServiceStore} from '../../src/config/store.js'

describe('service store', () => {
  let root: string
  let store: ServiceStore
  const etc = () => path.join(root, 'etc')
  const conf = () => path.join(etc(), 'svc.conf')
  const doc = (value: string): ServiceDocument => [
    {
      name: 'container#1',
      entries: [
        ['type', 'docker'],
        ['image', value],
      ],
    },
  ]
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-store-'))
    store = new ServiceStore({
      root,
      etcDir: etc(),
      varDir: path.join(root, 'var'),
      logDir: path.join(root, 'log'),
    } as Settings)
    store.write('svc', doc('google/pause'))
  })
  afterEach(() => fs.rmSync(root, {recursive: true, force: true}))

  it('a document the printer refuses (a control character) leaves no temporary file and the stored config byte-identical', () => {
    const before = fs.readFileSync(conf())
    expect(() => store.write('svc', doc('pause\u0007'))).to.throw(/container#1\.image/)
    expect(fs.readdirSync(etc())).to.deep.equal(['svc.conf'])
    expect(fs.readFileSync(conf()).equals(before)).to.equal(true)
  })

  it('an empty document is refused rather than stored (read would refuse it)', () => {
    const before = fs.readFileSync(conf())
    for (const empty of [[], [{name: 'DEFAULT', entries: []}]] as ServiceDocument[])
      expect(() => store.write('svc', empty)).to.throw(ConfigFormatError, 'svc: refusing to store an empty config')
    expect(fs.readdirSync(etc())).to.deep.equal(['svc.conf'])
    expect(fs.readFileSync(conf()).equals(before)).to.equal(true)
  })

  it('a stored file that is empty, only comments or an empty [DEFAULT] reads as an error naming the file, not as an empty service', () => {
    for (const text of ['', '\n\n', '# all gone\n; really\n', '[DEFAULT]\n']) {
      fs.writeFileSync(conf(), text)
      expect(() => store.read('svc'), JSON.stringify(text)).to.throw(
        ConfigFormatError,
        `${conf()}: the stored config of svc is empty`,
      )
    }
    // DEFAULT keywords alone are a service, as in OpenSVC
    fs.writeFileSync(conf(), '[DEFAULT]\nnodes = deb1\n')
    expect(store.read('svc')).to.deep.equal([{name: 'DEFAULT', entries: [['nodes', 'deb1']]}])
  })
})
