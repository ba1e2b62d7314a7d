import type { ChannelCredentials, ClientReadableStream } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { HealthClient, type StreamStatusResponse } from '../../gen/shoal/v1/health';
import { Backoff } from '../../common/net/Backoff';
import { CLIENT_LIMITS } from '../../common/grpc/transportLimits';

/** How a node's status stream stands. */
export interface StreamState {
  connected: boolean;
  /** When the last sample arrived (local clock), ms; 0 before the first. */
  lastSampleAt: number;
  /** When the stream last broke, ms; 0 if it never did. */
  brokeAt: number;
  sample: StreamStatusResponse | undefined;
}

/**
 * Follows one node's Health.StreamStatus: a sample every period while the node lives. A break
 * (the process died: its socket closed; or the node drained) is reported at once, and the
 * stream is opened again with a short backoff, so a restarted node is seen within moments.
 */
export class NodeStream {
  readonly state: StreamState = { connected: false, lastSampleAt: 0, brokeAt: 0, sample: undefined };
  private client: HealthClient | undefined;
  private call: ClientReadableStream<StreamStatusResponse> | undefined;
  private readonly backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
  private readonly stopping = new AbortController();
  /** The address changed: dial the new one at once, whatever the backoff says. */
  private retargeted = false;

  /**
   * @param onChange called on connect, on break, and when a sample's primary_silence_ms first
   * reaches `primarySilentAfterMs` (the node's vote that the primary is lost, which the
   * failover rule wants counted at once, not at the next periodic pass).
   */
  constructor(
    readonly nodeId: string,
    private address: string,
    private readonly periodMs: number,
    private readonly primarySilentAfterMs: number,
    private readonly onChange: (stream: NodeStream, what: 'connected' | 'broke' | 'primary-silent', reason: string) => void,
    private readonly credentials: ChannelCredentials,
  ) {
    // Its callbacks must not run inside whatever span created it (a decision's, say).
    context.with(ROOT_CONTEXT, () => void this.run());
  }

  get target(): string {
    return this.address;
  }

  /** Follows the node at a new address (it restarted on another port). */
  retarget(address: string): void {
    if (address === this.address) return;
    this.address = address;
    this.retargeted = true;
    this.call?.cancel();
  }

  close(): void {
    this.stopping.abort();
    this.call?.cancel();
    this.client?.close();
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const reason = await this.follow();
      if (signal.aborted) return;
      if (this.state.connected) {
        this.state.connected = false;
        this.state.brokeAt = Date.now();
        this.onChange(this, 'broke', reason);
      }
      if (this.retargeted) {
        this.retargeted = false;
        this.backoff.reset();
        continue;
      }
      await this.backoff.wait(signal);
    }
  }

  /** One stream, until it ends; resolves with why it ended. */
  private follow(): Promise<string> {
    const address = this.address;
    this.client?.close();
    // A fresh channel per attempt: a restarted node is dialled at once, not after grpc-js's
    // own reconnect backoff (which starts at a second).
    const client = new HealthClient(address, this.credentials, {
      ...CLIENT_LIMITS,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    this.client = client;
    return new Promise((resolve) => {
      const call = client.streamStatus({ periodMs: this.periodMs });
      this.call = call;
      call.on('data', (sample: StreamStatusResponse) => {
        const silentBefore = (this.state.sample?.primarySilenceMs ?? 0) >= this.primarySilentAfterMs;
        this.state.lastSampleAt = Date.now();
        this.state.sample = sample;
        if (!silentBefore && sample.primarySilenceMs >= this.primarySilentAfterMs) {
          this.onChange(this, 'primary-silent', `has not heard from the primary for ${sample.primarySilenceMs} ms`);
        }
        if (!this.state.connected) {
          this.state.connected = true;
          this.backoff.reset();
          this.onChange(this, 'connected', `streaming from ${address}`);
        }
      });
      call.on('error', (err: Error & { details?: string }) => resolve(err.details || err.message));
      call.on('end', () => resolve('the stream ended'));
    });
  }
}
