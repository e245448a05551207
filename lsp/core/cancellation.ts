/**
 * Request plumbing shared by every handler: honour cancellation (a request cancelled before or
 * while it runs answers `RequestCancelled`, as LSP 3.17 asks), and turn an internal failure into
 * an error response plus a log line instead of a crashed server.
 */
import { ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken } from "vscode-languageserver";

export class RequestCancelled extends ResponseError<void> {
  constructor() {
    super(LSPErrorCodes.RequestCancelled, "request cancelled");
  }
}

/** Throws `RequestCancelled` when the client has cancelled; call between units of work. */
export function checkCancelled(token: CancellationToken | undefined): void {
  if (token?.isCancellationRequested) throw new RequestCancelled();
}

/** Lets queued messages (a `$/cancelRequest`, a newer edit) in before a long step. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export type Logger = (message: string) => void;

/** Wraps a request handler: cancellation check first, errors become responses. */
export function guarded<P, R>(
  method: string,
  log: Logger,
  handler: (params: P, token: CancellationToken) => R | Promise<R>,
): (params: P, token: CancellationToken) => Promise<R | ResponseError<void>> {
  return async (params, token) => {
    try {
      checkCancelled(token);
      const result = await handler(params, token);
      // A result computed for a request cancelled meanwhile is dropped: the client no longer wants it.
      checkCancelled(token);
      return result;
    } catch (err) {
      if (err instanceof ResponseError) return err as ResponseError<void>;
      log(`${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return new ResponseError<void>(
        ErrorCodes.InternalError,
        `${method} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
}
