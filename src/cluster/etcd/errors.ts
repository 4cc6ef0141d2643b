/** The etcd client's errors. The cluster code decides on them; a command shows their message. */
import {SvcmgrError} from '../../errors.js'

/** An answer from etcd that is an error, or a transport failure on one endpoint. */
export class EtcdError extends SvcmgrError {
  constructor(
    message: string,
    /** The gRPC status code when etcd gave one (14 unavailable, 4 deadline exceeded, ...). */
    readonly code?: number,
    readonly httpStatus?: number,
  ) {
    super(message)
  }
}

/** No endpoint answered before the call's deadline (exit code 1: unknown, not refused). */
export class EtcdUnavailableError extends SvcmgrError {}

// gRPC codes worth another endpoint: unavailable, deadline exceeded, unknown (a member
// that lost its leader answers "etcdserver: no leader" or "request timed out" with them)
const RETRYABLE_CODES = new Set([14, 4, 2, 1])
const RETRYABLE_MESSAGES = /no leader|leader changed|request timed out|timed out|not capable|too many requests|stopped/i

/** Whether another endpoint (or a later try) may answer where this one failed. */
export function isRetryable(error: Error): boolean {
  if (error instanceof EtcdError) {
    if (error.code !== undefined && RETRYABLE_CODES.has(error.code)) return true
    if (error.httpStatus !== undefined && error.httpStatus >= 500 && RETRYABLE_MESSAGES.test(error.message)) return true
    return RETRYABLE_MESSAGES.test(error.message) && error.httpStatus === undefined
  }
  // a socket error (ECONNREFUSED, EHOSTUNREACH, ECONNRESET, ...)
  return true
}
