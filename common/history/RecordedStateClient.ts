import type { StateClient } from '../client/StateClient';
import type { GetResponse, WriteResult } from '../../gen/shoal/v1/state';
import type { KeyValue } from './event';
import type { Answer, HistoryRecorder } from './HistoryRecorder';

type GetOptions = NonNullable<Parameters<StateClient['get']>[1]>;
type WriteOptions = { deadlineMs?: number };

/**
 * A StateClient whose every call is an operation in a history, as one logical client (`client`):
 * use it for one operation at a time, and give each logical client its own StateClient, since
 * the node recorded as having answered is the primary that StateClient had when the answer came.
 * Values are UTF-8 text. Errors are recorded, then rethrown.
 */
export class RecordedStateClient {
  constructor(
    readonly state: StateClient,
    private readonly recorder: HistoryRecorder,
    readonly client: string,
  ) {}

  /** A Get (from the primary, or where `o` says); records the value read, null when absent. */
  read(key: string, o: GetOptions = {}): Promise<GetResponse> {
    return this.recorder.record(
      { client: this.client, op: 'read', key },
      () => this.state.get(key, o),
      (r) => {
        // A read's term is recorded when the response carries one.
        const at: { term?: number; position: number } = r;
        return {
          value: r.found ? r.value.toString('utf8') : null,
          version: r.version,
          position: at.position,
          term: at.term,
          node: o.address ?? this.state.primaryAddress,
        };
      },
    );
  }

  /** An unconditional Put. */
  write(key: string, value: string, o: WriteOptions = {}): Promise<WriteResult> {
    return this.recorder.record(
      { client: this.client, op: 'write', key, value },
      () => this.state.put(key, Buffer.from(value, 'utf8'), o),
      (r) => this.written(r),
    );
  }

  /** An unconditional Delete. */
  delete(key: string, o: WriteOptions = {}): Promise<{ deleted: boolean; result?: WriteResult }> {
    return this.recorder.record(
      { client: this.client, op: 'delete', key, value: null },
      () => this.state.delete(key, o),
      (r) => this.written(r.result),
    );
  }

  /**
   * A compare-and-set: sets `value` (null: deletes the key) if the key's version is
   * `expected.version`, whose value the caller says is `expected.value` (as it read them).
   * ABORTED when the version differs.
   */
  cas(key: string, expected: { version: number; value: KeyValue }, value: KeyValue, o: WriteOptions = {}): Promise<WriteResult | undefined> {
    return this.recorder.record(
      { client: this.client, op: 'cas', key, value, expected },
      () =>
        value === null
          ? this.state.delete(key, { ...o, expectedVersion: expected.version }).then((r) => r.result)
          : this.state.put(key, Buffer.from(value, 'utf8'), { ...o, expectedVersion: expected.version }),
      (r) => this.written(r),
    );
  }

  private written(r: WriteResult | undefined): Answer {
    return { term: r?.term, position: r?.position, version: r?.version, node: this.state.primaryAddress };
  }
}
