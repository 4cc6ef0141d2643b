/**
 * Files this plugin writes under the service's state folder (pid and output of app.simple),
 * as the core writes its own (src/config/state-files.ts): folders 0700 and files 0600 whatever
 * the umask, never through a link planted at the path. A plugin imports only types from
 * 'svcmgr' at run time, so this small copy lives here until the kit offers it (issue 10).
 */
import {randomBytes} from 'node:crypto'
import {chmodSync, closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import path from 'node:path'

const DIR_MODE = 0o700
const FILE_MODE = 0o600
const {O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW} = constants

/** Creates `dir` and its missing parents as 0700 (mkdir's mode goes through the umask: set on each level made). */
export function ensurePrivateDir(dir: string): void {
  const first = mkdirSync(dir, {recursive: true, mode: DIR_MODE})
  if (first === undefined) return
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    chmodSync(d, DIR_MODE)
    if (d === path.resolve(first) || d === path.dirname(d)) break
  }
}

function refuseLink(file: string, error: unknown): never {
  if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`${file} is a symbolic link: svcmgr does not write through links in its state folder (remove it)`)
  throw error
}

/** Opens an output file for appending: created 0600 (an older looser one tightened); a link there is refused. */
export function openPrivateAppend(file: string): number {
  ensurePrivateDir(path.dirname(file))
  let fd: number
  try {
    fd = openSync(file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, FILE_MODE)
  } catch (error) {
    refuseLink(file, error)
  }
  if ((fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, FILE_MODE)
  return fd
}

/** Replaces `file` with `data`: an exclusively created temporary file (0600, never through a link), renamed over it. */
export function writePrivateFile(file: string, data: string): void {
  ensurePrivateDir(path.dirname(file))
  const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, FILE_MODE)
  try {
    try {
      fchmodSync(fd, FILE_MODE)
      writeSync(fd, data)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
  } catch (error) {
    rmSync(tmp, {force: true})
    throw error
  }
}
