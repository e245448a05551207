/**
 * A request bound to the run's abort signal. The client libraries stop a request in flight when
 * its signal aborts, but (1) they sleep through their retry back-off without looking at it —
 * Ctrl-C and the `with` timeout must not wait for that — and (2) they add a listener to the
 * signal they are given and leave it there. So each request gets a signal of its own, linked to
 * the run's for the length of the request only, and the request is raced against the run's
 * signal.
 */
export async function boundToRun<T>(signal: AbortSignal, request: (own: AbortSignal) => Promise<T>): Promise<T> {
  if (signal.aborted) throw signal.reason;
  const own = new AbortController();
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      own.abort(signal.reason);
      reject(signal.reason as Error);
    };
  });
  signal.addEventListener("abort", onAbort, { once: true });
  const pending = request(own.signal);
  try {
    return await Promise.race([pending, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
    pending.catch(() => {});
    aborted.catch(() => {});
  }
}
