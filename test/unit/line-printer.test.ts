import {expect} from 'chai'
import type {ActionEvent, EventLevel} from '../../src/log/events.js'
import {LinePrinterSink} from '../../src/render/renderer.js'

const event = (level: EventLevel, message: string, extra: Partial<ActionEvent> = {}): ActionEvent => ({
  time: '2026-12-01T09:00:00.000Z',
  level,
  node: 'deb1',
  service: 's',
  rid: 'container#1',
  message,
  ...extra,
})

function printed(minLevel?: EventLevel): string[] {
  const lines: string[] = []
  const sink = new LinePrinterSink(minLevel, l => lines.push(l))
  for (const level of ['debug', 'info', 'warn', 'error'] as const) sink.emit(event(level, `a ${level} line`))
  // task state changes that say nothing are never printed
  sink.emit(event('info', 'running', {state: 'running'}))
  return lines.map(l => l.replace(/^.* (a \w+ line)$/, '$1'))
}

describe('the line printer prints from its level up (the logLevel setting; debug with --verbose)', () => {
  it('info by default', () => {
    expect(printed()).to.deep.equal(['a info line', 'a warn line', 'a error line'])
  })

  it('each level', () => {
    expect(printed('debug')).to.deep.equal(['a debug line', 'a info line', 'a warn line', 'a error line'])
    expect(printed('info')).to.deep.equal(['a info line', 'a warn line', 'a error line'])
    expect(printed('warn')).to.deep.equal(['a warn line', 'a error line'])
    expect(printed('error')).to.deep.equal(['a error line'])
  })
})
