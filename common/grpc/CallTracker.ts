import { ResponderBuilder, ServerInterceptingCall, type ServerInterceptor, ServerListenerBuilder, status } from '@grpc/grpc-js';

/** What the tracker reports for each finished call. */
export type CallFinished = (method: string, code: status, durationMs: number) => void;

/**
 * A server interceptor that knows every open call: it counts them (in-flight, completed) for
 * the health samples and metrics, and on shutdown ends every open server stream with
 * UNAVAILABLE, including streams of services shoal does not implement itself (the standard
 * health Watch, reflection), so a drain never waits on a stream that would stay open forever.
 */
export class CallTracker {
  private readonly open = new Set<{ call: ServerInterceptingCall; streaming: boolean }>();
  private completed = 0;

  constructor(private readonly onFinished: CallFinished = () => undefined) {}

  readonly interceptor: ServerInterceptor = (method, next) => {
    const started = performance.now();
    const entry = { call: undefined as unknown as ServerInterceptingCall, streaming: method.responseStream };
    let finished = false;
    const finish = (code: status) => {
      if (finished) return;
      finished = true;
      this.open.delete(entry);
      this.completed += 1;
      this.onFinished(method.path, code, performance.now() - started);
    };
    entry.call = new ServerInterceptingCall(
      next,
      new ResponderBuilder()
        .withStart((startNext) => {
          this.open.add(entry);
          startNext(new ServerListenerBuilder().withOnCancel(() => finish(status.CANCELLED)).build());
        })
        .withSendStatus((sent, statusNext) => {
          finish(sent.code);
          statusNext(sent);
        })
        .build(),
    );
    return entry.call;
  };

  /** Calls open right now. */
  get inFlight(): number {
    return this.open.size;
  }

  /** Calls finished since start (any status). */
  get completedTotal(): number {
    return this.completed;
  }

  /** Ends every open server-streaming call with UNAVAILABLE and `details`. */
  endStreams(details: string): void {
    for (const entry of [...this.open]) {
      if (entry.streaming) entry.call.sendStatus({ code: status.UNAVAILABLE, details });
    }
  }
}
