// DOCKER_HOST (unix:///path, /path, tcp://host:port) as dockerode options: the engine the
// bench and svcmgr (which the bench runs with the same DOCKER_HOST) both talk to.
export function dockerOptions(address = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock') {
  if (address.startsWith('unix://')) return {socketPath: address.slice('unix://'.length)}
  if (address.startsWith('/')) return {socketPath: address}
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(address)
  if (!m) throw new Error(`DOCKER_HOST: unsupported address ${JSON.stringify(address)}`)
  return {host: m[1], port: Number(m[2] ?? 2375), protocol: 'http'}
}
