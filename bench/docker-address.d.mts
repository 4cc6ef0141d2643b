export interface DockerOptions {
  socketPath?: string
  host?: string
  port?: number
  protocol?: 'http'
}
export function dockerOptions(address?: string): DockerOptions
