/**
 * What an action prints and where: --format (text, json, the jsonl event stream, the plan
 * pictures mermaid, dot and svg of a dry run), --out FILE, --events-file FILE. The run events
 * (src/log/run-events.ts) feed the live view and the streams alike; this module only wires them.
 */
import fs from 'node:fs'
import type {EventLevel} from '../log/events.js'
import {RunEventHub, type RunEnd} from '../log/run-events.js'
import type {Plan} from '../planner/types.js'
import {createActionView} from '../render/action-view.js'
import {JsonLinesWriter, openEventsFile} from '../render/event-stream.js'
import {PLAN_PICTURE_FORMATS, renderPlan} from '../render/plan-output.js'
import {chooseRenderer} from '../render/renderer.js'
import {SIGNAL_EXIT_CODE} from '../services/interrupts.js'
import {UsageError} from '../errors.js'

export const ACTION_FORMATS = ['text', 'json', 'jsonl', ...PLAN_PICTURE_FORMATS] as const
export type ActionFormat = (typeof ACTION_FORMATS)[number]

export interface ActionOutputRequest {
  readonly format: string
  readonly dryRun?: boolean
  readonly out?: string
  readonly eventsFile?: string
  readonly verbose?: boolean
}

/** Refuses what cannot be printed, before anything runs (exit 2, naming the flag). */
export function checkActionOutput(o: ActionOutputRequest): void {
  const picture = (PLAN_PICTURE_FORMATS as readonly string[]).includes(o.format)
  if (picture && !o.dryRun)
    throw new UsageError(`--format ${o.format}: a picture of the plan, only with --dry-run (got no --dry-run)`)
  if (o.format === 'svg' && !o.out)
    throw new UsageError('--format svg: needs --out FILE (an SVG is not for a terminal)')
  if (o.out !== undefined && o.out === '') throw new UsageError('--out: expected a file path, got an empty value')
  if (o.out !== undefined && o.format === 'text' && !o.dryRun)
    throw new UsageError(
      '--out: the text of a run is its live view, for the terminal: expected --dry-run (the plan), --format json or jsonl, or --events-file for a record',
    )
  if (o.eventsFile !== undefined && o.eventsFile === '')
    throw new UsageError('--events-file: expected a file path, got an empty value')
  if (o.out !== undefined && o.out === o.eventsFile)
    throw new UsageError(`--out and --events-file: expected two files, got ${JSON.stringify(o.out)} for both`)
}

function openOutput(flag: string, file: string): ReturnType<typeof openEventsFile> {
  try {
    return openEventsFile(file)
  } catch (error) {
    throw new UsageError(`${flag}: cannot write ${JSON.stringify(file)}: ${(error as Error).message}`)
  }
}

/** The run's events and outputs: the hub the action reports to, and how it ends. */
export class ActionOutput {
  readonly hub: RunEventHub
  private readonly out?: ReturnType<typeof openEventsFile>
  private readonly events?: ReturnType<typeof openEventsFile>
  private readonly onExit = (code: number) => this.hub.summary({exitCode: code, ok: false, signal: exitSignal(code)})

  constructor(
    private readonly o: ActionOutputRequest,
    identity: {node: string; service: string; action: string},
    logLevel: EventLevel,
  ) {
    checkActionOutput(o)
    const minLevel: EventLevel = o.verbose ? 'debug' : logLevel
    this.hub = new RunEventHub(identity)
    // the stream's file from the start (it records even a config error); a document's when it is ready
    this.out = o.out !== undefined && o.format === 'jsonl' ? openOutput('--out', o.out) : undefined
    this.events = o.eventsFile === undefined ? undefined : openOutput('--events-file', o.eventsFile)
    this.hub.subscribe(createActionView(chooseRenderer({format: o.format, verbose: o.verbose}), minLevel))
    if (o.format === 'jsonl') this.hub.subscribe(new JsonLinesWriter(this.write, minLevel))
    if (this.events) this.hub.subscribe(new JsonLinesWriter(this.events.write, minLevel))
    // a process that ends before the summary (a signal outside the action) still ends its streams with one
    if (o.format === 'jsonl' || this.events) process.on('exit', this.onExit)
  }

  get format(): ActionFormat {
    return this.o.format as ActionFormat
  }

  /** The stream's lines: stdout, or --out. */
  private readonly write = (text: string): void => {
    if (this.out) this.out.write(text)
    else process.stdout.write(text)
  }

  /** A whole document (the plan, the JSON result): stdout, or --out written at once. */
  document(text: string): void {
    if (this.o.out === undefined) return void process.stdout.write(text)
    try {
      fs.writeFileSync(this.o.out, text)
    } catch (error) {
      throw new UsageError(`--out: cannot write ${JSON.stringify(this.o.out)}: ${(error as Error).message}`)
    }
  }

  /** A dry run's plan in the asked form (jsonl: the planned events are the output). */
  async printPlan(plan: Plan): Promise<void> {
    if (this.format !== 'jsonl') this.document(await renderPlan(plan, this.format))
  }

  end(end: RunEnd): void {
    this.hub.summary(end)
  }

  /** An error that ends the command: an event, then the summary with its exit code. */
  fail(error: unknown, exitCode: number): void {
    if (this.hub.finished) return
    this.hub.error(error)
    this.hub.summary({exitCode, ok: false, error})
  }

  close(): void {
    process.off('exit', this.onExit)
    this.out?.close()
    this.events?.close()
  }
}

function exitSignal(code: number): string | undefined {
  return Object.entries(SIGNAL_EXIT_CODE).find(([, c]) => c === code)?.[0]
}
