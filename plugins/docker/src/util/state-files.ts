/**
 * Files this plugin makes under the state root for a private dockerd (its folders and its
 * output log), as the core makes its own (src/config/state-files.ts): folders 0700 and files
 * 0600 whatever the umask, a log never opened through a link planted at its path. A plugin
 * imports only types from 'svcmgr' at run time, so this small copy lives here until the kit
 * offers it (issue 10).
 */
import {chmodSync, constants, fchmodSync, fstatSync, mkdirSync} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'
import path from 'node:path'

const DIR_MODE = 0o700
const FILE_MODE = 0o600
const {O_WRONLY, O_CREAT, O_APPEND, O_NOFOLLOW} = constants

/** Creates `dir` and its missing parents as 0700 (mkdir's mode goes through the umask: set on each level made). */
export function ensurePrivateDir(dir: string): void {
  const first = mkdirSync(dir, {recursive: true, mode: DIR_MODE})
  if (first === undefined) return
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    chmodSync(d, DIR_MODE)
    if (d === path.resolve(first) || d === path.dirname(d)) break
  }
}

/** Opens a log for appending: created 0600 (an older looser one tightened); a link there is refused. */
export async function openPrivateAppend(file: string): Promise<FileHandle> {
  ensurePrivateDir(path.dirname(file))
  let handle: FileHandle
  try {
    handle = await open(file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, FILE_MODE)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`${file} is a symbolic link: svcmgr does not write through links in its state root (remove it)`, {cause: error})
    throw error
  }
  if ((fstatSync(handle.fd).mode & 0o077) !== 0) fchmodSync(handle.fd, FILE_MODE)
  return handle
}
