/**
 * app readiness (the driver API's ReadinessCapability): tcp and http probes from the host, and
 * exec on the host as the app's own commands run: its user, environment, limits and working folder.
 */
import type {ProbeResult, ReadinessCapability} from 'svcmgr'
import {invocation, resolveUser} from './command.js'
import type {AppKeywords} from './keywords.js'

export const appReadiness: ReadinessCapability<AppKeywords> = {
  kinds: ['tcp', 'http', 'exec'],
  defaultHelp: 'started (no probe)',

  describe(probe, res) {
    switch (probe.kind) {
      case 'tcp':
        return `connect to ${probe.host ?? '127.0.0.1'}:${probe.port} from the host`
      case 'http':
        return `GET http://${probe.host ?? '127.0.0.1'}:${probe.port}${probe.path} from the host answers 2xx/3xx`
      case 'exec':
        return `${probe.text.slice(5).trim()} exits 0 (on the host${res.kw.user ? ` as ${res.kw.user}` : ''}, with the app's environment)`
      default:
        return probe.text
    }
  },

  async probe(ctx, probe, options): Promise<ProbeResult> {
    switch (probe.kind) {
      case 'tcp':
        return ctx.probes.tcp({host: probe.host, port: probe.port}, options)
      case 'http':
        return ctx.probes.http({host: probe.host, port: probe.port, path: probe.path}, options)
      case 'exec': {
        const kw = ctx.resource.kw
        const cwd = kw.cwd ?? ctx.service.varDir
        if (!kw.cwd) ctx.host.ensurePrivateDir(cwd)
        const user = kw.user ? await resolveUser(ctx, kw.user) : undefined
        const inv = invocation(kw, probe.argv, cwd, user)
        return ctx.probes.exec([inv.file, ...inv.args], {...options, env: inv.env})
      }
      default:
        return {ready: true}
    }
  },
}
