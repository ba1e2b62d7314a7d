import { status } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { AckRequest, AckResult } from '../../../gen/shoal/v1/events';
import type { EventsClient } from '../../../common/client/EventsClient';
import { Backoff } from '../../../common/net/Backoff';
import { MAX_BATCH, MAX_MESSAGE_BYTES } from '../events/limits';

/** How long an ack is sent again while the primary answers UNAVAILABLE for it, ms. */
const ACK_DEADLINE_MS = 10_000;

interface Queued {
  ack: AckRequest;
  until: number;
  resolve: (r: AckResult) => void;
  reject: (e: Error) => void;
}

/**
 * Sends a worker's acks with AckBatch. An ack goes out at once when no call is under way; acks
 * that come meanwhile wait for it and go together in the next call (up to 100). So an idle
 * worker's ack waits for nothing, and a busy worker's acks cost one call and one replicated write
 * per batch instead of one each.
 */
export class AckBatcher {
  private queue: Queued[] = [];
  private sending = false;
  /** Paces resending acks the primary could not write yet (a replica is away, a switchover). */
  private readonly backoff = new Backoff({ initialMs: 50, maxMs: 1000 });

  constructor(private readonly events: EventsClient) {}

  /**
   * The ack's own outcome. One the primary could not write (UNAVAILABLE) is sent again, as the
   * client retries a unary Ack, until its deadline; a failed call rejects every ack in it.
   */
  ack(request: AckRequest): Promise<AckResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ack: request, until: Date.now() + ACK_DEADLINE_MS, resolve, reject });
      this.send();
    });
  }

  private send(): void {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    // Up to 100 acks, and no more result bytes than fit a gRPC message (at least one ack).
    let count = 0;
    let bytes = 0;
    for (const q of this.queue) {
      const size = q.ack.result.length + q.ack.error.length;
      if (count >= MAX_BATCH || (count > 0 && bytes + size > MAX_MESSAGE_BYTES)) break;
      count += 1;
      bytes += size;
    }
    const batch = this.queue.splice(0, count);
    let resend = false;
    // A call for many events' acks belongs to none of their traces (each ack carries its own).
    context
      .with(ROOT_CONTEXT, () =>
        this.events.ackBatch(
          batch.map((q) => q.ack),
          ACK_DEADLINE_MS,
        ),
      )
      .then(
        (results) => {
          batch.forEach((q, i) => {
            const result = results[i];
            if (!result) q.reject(new Error(`the primary answered ${results.length} results for ${batch.length} acks`));
            else if ((result.code as status) === status.UNAVAILABLE && Date.now() < q.until) {
              this.queue.push(q);
              resend = true;
            } else q.resolve(result);
          });
        },
        (err: Error) => {
          for (const q of batch) q.reject(err);
        },
      )
      .finally(() => {
        if (!resend) {
          this.backoff.reset();
          this.sending = false;
          this.send();
          return;
        }
        setTimeout(() => {
          this.sending = false;
          this.send();
        }, this.backoff.next());
      });
  }
}
