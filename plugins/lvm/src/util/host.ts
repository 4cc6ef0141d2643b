/** Sleeping (the host helpers, which and the device signature, are the kit's: ctx.host). */
export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms))
