/**
 * Files under the state root, with explicit modes whatever the umask, never through a link
 * planted at a path svcmgr writes: private directories (0700), private files (0600),
 * replacement by an exclusively created temporary file renamed over the target.
 */
import fs from 'node:fs'
import path from 'node:path'

export const STATE_DIR_MODE = 0o700
export const STATE_FILE_MODE = 0o600

const {O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW} = fs.constants

/**
 * Creates `dir` and its missing parents as 0700. An existing directory is never loosened:
 * group and other write bits are removed (a writable state dir lets anyone plant files).
 */
export function ensureStateDir(dir: string): void {
  const first = fs.mkdirSync(dir, {recursive: true, mode: STATE_DIR_MODE})
  if (first === undefined) {
    // a link (an admin's log dir elsewhere, or a planted one) is used as it is: never chmod through it
    const st = fs.lstatSync(dir)
    if (st.isDirectory() && (st.mode & 0o022) !== 0 && st.uid === process.getuid?.())
      fs.chmodSync(dir, st.mode & 0o7755)
    return
  }
  // mkdir's mode goes through the umask: set it on every level created
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    fs.chmodSync(d, STATE_DIR_MODE)
    if (d === path.resolve(first) || d === path.dirname(d)) break
  }
}

/**
 * Replaces `target` with `data`: a temporary file with an unpredictable name, created
 * exclusively (a link already there makes the open fail rather than be followed), written,
 * fsynced, then renamed over the target (a link at the target is replaced, not followed).
 */
export function writeStateFileAtomic(target: string, data: string): void {
  ensureStateDir(path.dirname(target))
  // node:crypto loaded when a file is written, not by every command that reads state
  const tmp = `${target}.${process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex')}.tmp`
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, STATE_FILE_MODE)
  try {
    try {
      fs.fchmodSync(fd, STATE_FILE_MODE)
      fs.writeSync(fd, data)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, target)
  } catch (error) {
    fs.rmSync(tmp, {force: true})
    throw error
  }
  // the rename itself survives a crash once the directory is synced
  const dirFd = fs.openSync(path.dirname(target), 'r')
  try {
    fs.fsyncSync(dirFd)
  } finally {
    fs.closeSync(dirFd)
  }
}

/** Opens a private file (0600) exclusively; EEXIST when anything, a link included, is there. */
export function createStateFileExclusive(file: string): number {
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, STATE_FILE_MODE)
  fs.fchmodSync(fd, STATE_FILE_MODE)
  return fd
}

/** Opens a log for appending (created 0600, an older looser one tightened); a link there is refused. */
export function openStateLogForAppend(file: string): number {
  ensureStateDir(path.dirname(file))
  let fd: number
  try {
    fd = fs.openSync(file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, STATE_FILE_MODE)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      throw new Error(`${file} is a symbolic link: svcmgr does not write through links in its state root (remove it)`, {
        cause: error,
      })
    throw error
  }
  if ((fs.fstatSync(fd).mode & 0o077) !== 0) fs.fchmodSync(fd, STATE_FILE_MODE)
  return fd
}
