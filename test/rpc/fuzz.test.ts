import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type ClientDuplexStream, credentials, Metadata, type ServiceDefinition, type ServiceError, status } from '@grpc/grpc-js';
import { create, createFileRegistry, type DescField, type DescMessage, fromBinary, ScalarType, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { service as standardHealthService } from 'grpc-health-check';
import { DiscoveryService } from '../../gen/shoal/v1/discovery';
import { EventsService } from '../../gen/shoal/v1/events';
import { HealthService } from '../../gen/shoal/v1/health';
import { StateService } from '../../gen/shoal/v1/state';
import { SyncService } from '../../gen/shoal/v1/sync';
import { REPO_ROOT } from '../../common/paths';
import { waitFor } from '../../common/time/waitFor';
import { decodeRecord } from '../../services/node/events/eventRecord';
import { MAX_MESSAGE_BYTES } from '../../services/node/events/limits';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../../services/node/state/limits';
import { EVENTS_PREFIX, eventKey, SYSTEM_PREFIX } from '../../services/node/store/systemKeys';
import { type RpcNode, startRpcNode } from '../support/rpcNode';

/**
 * Issue 16, "no input breaks a node": every RPC a node serves gets random bytes as its request,
 * and well-formed requests whose fields are pushed to their edges, built from the protos'
 * descriptors (gen/descriptors.binpb), so a new RPC or field is fuzzed without touching this file.
 * FUZZ_SEED replays a run; the seed is printed.
 */
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20261203;
/** Split between the two kinds; a few thousand in all keeps the file near 20 s on two cores. */
const RAW_RUNS = 1500;
const STRUCTURED_RUNS = 2000;
/** Every call's deadline. A unary call must be answered well within it (see `judge`). */
const DEADLINE_MS = 2000;
/**
 * The deadline of a call whose request asks the node to wait (`asksToWait`): long enough for a
 * stream to send what it has at once, short so that such cases do not spend the run waiting.
 */
const WAITING_DEADLINE_MS = 250;
/** User keys the canary data lives under; no arbitrary below makes a string starting with it. */
const CANARY = 'fuzz-canary/';

const SERVICES: ServiceDefinition[] = [StateService, SyncService, EventsService, DiscoveryService, HealthService, standardHealthService];
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(join(REPO_ROOT, 'gen', 'descriptors.binpb'))));

interface Method {
  /** /package.Service/Method */
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  input: DescMessage;
}

/** Every method of the served services, read from their grpc-js definitions (the same ones the node serves). */
const METHODS: Method[] = SERVICES.flatMap((definition) =>
  Object.values(definition).map((m) => {
    const [, service, name] = m.path.split('/');
    const input = registry.getService(service)?.methods.find((d) => d.name === name)?.input;
    if (!input) throw new Error(`${m.path} has no descriptor in gen/descriptors.binpb: regenerate gen/`);
    return { path: m.path, requestStream: m.requestStream, responseStream: m.responseStream, input };
  }),
);

/**
 * Codes a node may answer fuzzed input with. Not INTERNAL or UNKNOWN (a handler's bug, or a
 * request grpc-js could not decode), not DEADLINE_EXCEEDED (a hang) unless the request asked
 * the node to wait (`asksToWait`), not CANCELLED unless the test cancelled.
 */
const EXPECTED = new Set([
  status.OK,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.FAILED_PRECONDITION,
  status.OUT_OF_RANGE,
  status.ALREADY_EXISTS,
  status.ABORTED,
  status.RESOURCE_EXHAUSTED,
  status.PERMISSION_DENIED,
  status.UNAVAILABLE,
]);

// --- Arbitraries -------------------------------------------------------------------------------

/** Small terms and positions (where the logic is), the edges of 2^53 (JavaScript's exact integers) and of 64 bits. */
const uint64Arb = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 5n }) },
  { weight: 2, arbitrary: fc.constantFrom(2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
);
const int64Arb = fc.oneof(
  uint64Arb.map((v) => (v >= 2n ** 63n ? v - 2n ** 64n : v)),
  fc.constantFrom(-1n, -(2n ** 53n), -(2n ** 53n) - 1n, -(2n ** 63n)),
);
const uint32Arb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 99, 100, 101, 1000, 1001, 60_000, 60_001, 2 ** 31, 2 ** 32 - 1) },
  { weight: 1, arbitrary: fc.nat({ max: 2 ** 32 - 1 }) },
);
const int32Arb = fc.oneof(
  uint32Arb.map((v) => v | 0),
  fc.constantFrom(-1, -(2 ** 31)),
);
const doubleArb = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, Number.MAX_VALUE));

/** Strings a node reads as keys, prefixes, ids, addresses and event types, from empty to far past the limits. */
const stringArb = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom('', 'k', 'a/b', 'primary', 'replica-1', '127.0.0.1:1', 'cpu', 'counter', 'dns:///x', '::', '%%') },
    { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    // The system prefix: user keys must not reach the node's own records.
    {
      weight: 2,
      arbitrary: fc.string({ maxLength: 12 }).chain((s) => fc.constantFrom(SYSTEM_PREFIX + s, EVENTS_PREFIX + s, `a${SYSTEM_PREFIX}${s}`, `${s}\u0000`)),
    },
    // At and past the key limit, in ASCII and in 2-byte UTF-8.
    {
      weight: 1,
      arbitrary: fc.constantFrom(MAX_KEY_BYTES, MAX_KEY_BYTES + 1, 100_000).chain((n) => fc.constantFrom('x'.repeat(n), 'é'.repeat(Math.ceil(n / 2)))),
    },
  )
  .filter((s) => !s.startsWith(CANARY));

/** Values at the edges: a store value's limit, an event payload's (base64 in a record), an Ack batch's bytes. */
const PAYLOAD_LIMIT = Math.floor((MAX_VALUE_BYTES * 3) / 4) - 4096;
const bytesArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 32 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(MAX_VALUE_BYTES, MAX_VALUE_BYTES + 1, PAYLOAD_LIMIT, PAYLOAD_LIMIT + 1, MAX_MESSAGE_BYTES).map((n) => new Uint8Array(n)),
  },
);

/** Field names whose big values make the node wait, by design, until the deadline: kept small, mostly, so the run stays fast. */
const WAITS = new Set(['wait_ms', 'min_position', 'from_position']);

function scalarArb(field: DescField & { scalar: ScalarType }): fc.Arbitrary<unknown> {
  if (WAITS.has(field.name))
    return fc.oneof({ weight: 20, arbitrary: fc.constant(field.scalar === ScalarType.UINT32 ? 0 : 0n) }, { weight: 1, arbitrary: scalarOf(field.scalar) });
  return scalarOf(field.scalar);
}

function scalarOf(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return stringArb;
    case ScalarType.BYTES:
      return bytesArb;
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return uint64Arb;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return int64Arb;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return uint32Arb;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return int32Arb;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return doubleArb;
  }
}

/** Repeated fields: mostly a few items, sometimes past the limits (100 a batch, 1000 a page). */
const lengthArb = fc.oneof({ weight: 12, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(100, 101, 1001) });

function valueArb(field: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case 'scalar':
      return scalarArb(field);
    case 'enum':
      // A known value, or one the proto does not name.
      return fc.oneof(fc.constantFrom(...field.enum.values.map((v) => v.number)), fc.constantFrom(-1, 99));
    case 'message':
      return messageArb(field.message, depth + 1);
    case 'list': {
      const item: fc.Arbitrary<unknown> =
        field.listKind === 'message' ? messageArb(field.message, depth + 1) : field.listKind === 'enum' ? fc.nat({ max: 5 }) : scalarOf(field.scalar);
      // Many items are the same item: building a thousand nested random messages would cost the run.
      return fc.oneof(
        { weight: 12, arbitrary: fc.array(item, { maxLength: 3 }) },
        { weight: 1, arbitrary: fc.tuple(item, lengthArb).map(([one, n]) => Array.from({ length: n }, () => one)) },
      );
    }
    case 'map':
      return fc.constant({});
  }
}

const messageArbs = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

/**
 * Init objects for `create(desc, …)`: each field unset or set to an edge value, each oneof
 * unset or one of its cases. Past depth 3 only empty messages, so recursive types terminate.
 */
function messageArb(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const key = `${desc.typeName}@${depth}`;
  const known = messageArbs.get(key);
  if (known) return known;
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) if (!field.oneof) parts[field.localName] = valueArb(field, depth);
  for (const oneof of desc.oneofs) {
    parts[oneof.localName] = fc.oneof(fc.constant(undefined), ...oneof.fields.map((f) => valueArb(f, depth).map((value) => ({ case: f.localName, value }))));
  }
  const arb = fc.record(parts, { requiredKeys: [] });
  messageArbs.set(key, arb);
  return arb;
}

/** A request message as bytes: random, or a structured one encoded (and sometimes cut short or bit-flipped). */
function rawArb(): fc.Arbitrary<Uint8Array> {
  return fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 65, maxLength: 4096 }) });
}

interface Case {
  method: Method;
  /** The messages sent, encoded; one for a unary or server-streaming call. */
  messages: Uint8Array[];
  /** Whether a streaming request is half-closed after its messages. */
  halfClose: boolean;
}

function caseArb(messageBytes: (m: Method) => fc.Arbitrary<Uint8Array>): fc.Arbitrary<Case> {
  return fc.constantFrom(...METHODS).chain((method) =>
    fc
      .record({
        messages: method.requestStream ? fc.array(messageBytes(method), { minLength: 0, maxLength: 3 }) : messageBytes(method).map((b) => [b]),
        halfClose: fc.boolean(),
      })
      .map(({ messages, halfClose }) => {
        const c: Case = { method, messages, halfClose };
        // fast-check prints this on failure: the bytes in hex, long ones shortened, then what they decode to.
        Object.defineProperty(c, fc.toStringMethod, { value: () => describeCase(c) });
        return c;
      }),
  );
}

const structuredBytes = (m: Method) =>
  messageArb(m.input).chain((init) => {
    const bytes = toBinary(m.input, create(m.input, init));
    // A well-formed message cut short, or with one byte changed: the decoder's edge cases.
    return fc.oneof(
      { weight: 8, arbitrary: fc.constant(bytes) },
      { weight: 1, arbitrary: fc.nat({ max: Math.max(0, bytes.length - 1) }).map((n) => bytes.slice(0, n)) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.nat({ max: Math.max(0, bytes.length - 1) }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
          const copy = bytes.slice();
          if (copy.length > 0) copy[i] ^= x;
          return copy;
        }),
      },
    );
  });

function decoded(method: Method, bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    return fromBinary(method.input, bytes);
  } catch {
    return undefined;
  }
}

function describeCase(c: Case): string {
  const shown = c.messages.map((b) => {
    const hex = Buffer.from(b).toString('hex');
    const text = JSON.stringify(decoded(c.method, b), (_k, v: unknown) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : typeof v === 'string' && v.length > 80 ? `<${v.length} chars>` : v,
    );
    return `${b.length} bytes ${hex.length > 200 ? `${hex.slice(0, 200)}…` : hex} = ${text}`;
  });
  return `${c.method.path} [${shown.join('; ')}]${c.method.requestStream ? (c.halfClose ? ' then half-close' : ' stream left open') : ''}`;
}

// --- Calls -------------------------------------------------------------------------------------

const identity = (b: Buffer) => b;

interface Outcome {
  /** The status the call ended with; undefined when a stream was still open when the test cancelled it. */
  code: status | undefined;
  details: string;
  /** Whether the server sent a response message (a stream: before the test cancelled it). */
  answered: boolean;
}

/**
 * Sends one case and waits for its answer: a unary call's status; a stream's first message or
 * its status, whichever comes first, then cancels it.
 */
function send(client: Client, c: Case, deadlineMs: number): Promise<Outcome> {
  const { method } = c;
  const deadline = Date.now() + deadlineMs;
  const payloads = c.messages.map((b) => Buffer.from(b));
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    const onStatus = (err: ServiceError | null) => settle({ code: err ? err.code : status.OK, details: err?.details ?? '', answered: !err });
    if (!method.requestStream && !method.responseStream) {
      client.makeUnaryRequest(method.path, identity, identity, payloads[0], new Metadata(), { deadline }, onStatus);
      return;
    }
    if (method.requestStream && !method.responseStream) {
      const call = client.makeClientStreamRequest(method.path, identity, identity, new Metadata(), { deadline }, onStatus);
      for (const p of payloads) call.write(p);
      if (c.halfClose) call.end();
      return;
    }
    const duplex: ClientDuplexStream<Buffer, Buffer> | undefined = method.requestStream
      ? client.makeBidiStreamRequest(method.path, identity, identity, new Metadata(), { deadline })
      : undefined;
    const call = duplex ?? client.makeServerStreamRequest(method.path, identity, identity, payloads[0], new Metadata(), { deadline });
    call.on('data', () => {
      // The stream answered: it is alive. Cancel it; the server must let go of it (checked after each case).
      settle({ code: undefined, details: '', answered: true });
      call.cancel();
    });
    call.on('error', (err: ServiceError) => settle({ code: err.code, details: err.details, answered: false }));
    call.on('status', (s: { code: status; details: string }) => settle({ code: s.code, details: s.details, answered: false }));
    if (duplex) {
      for (const p of payloads) duplex.write(p);
      if (c.halfClose) duplex.end();
    }
  });
}

/**
 * Whether a request asks the node to wait past the deadline, by design: a Get for a position
 * not yet applied (the node answers UNAVAILABLE just before the deadline, or the client's
 * deadline wins the race), a Lease that may wait for events; and streams that have nothing to
 * say yet and stay open: a Watch resuming from a position (it sends changes only), a Replicate
 * that got no hello (it waits for one) or whose stream is left open. Those may end
 * DEADLINE_EXCEEDED; the server must still let go of them (the in-flight count drains).
 */
function asksToWait(c: Case, node: RpcNode): boolean {
  const requests = c.messages.map((b) => decoded(c.method, b));
  const first = requests[0];
  switch (c.method.path) {
    case '/shoal.v1.State/Get':
      return BigInt((first?.minPosition as bigint | undefined) ?? 0n) > BigInt(node.store.lastPosition);
    case '/shoal.v1.Events/Lease':
      return ((first?.waitMs as number | undefined) ?? 0) > 0;
    case '/shoal.v1.State/Watch':
      return ((first?.fromPosition as bigint | undefined) ?? 0n) > 0n;
    case '/shoal.v1.Sync/Replicate':
      return !requests.some((r) => (r?.message as { case?: string } | undefined)?.case !== undefined) || !c.halfClose;
    default:
      return false;
  }
}

/** Throws, naming the case's outcome, when the node answered something it must not. */
function judge(c: Case, o: Outcome, waits: boolean): void {
  const said = `answered ${o.code === undefined ? 'a message, stream open' : status[o.code]}${o.details ? ` "${o.details.slice(0, 200)}"` : ''}`;
  if (o.code === undefined) return;
  if (o.code === status.DEADLINE_EXCEEDED) {
    assert.ok(waits, `${c.method.path} did not answer within ${DEADLINE_MS} ms (a hang): ${said}`);
    return;
  }
  assert.ok(EXPECTED.has(o.code), `${c.method.path} ${said}`);
}

// --- The node under fuzz -----------------------------------------------------------------------

interface Canary {
  keys: Map<string, { value: string; version: number }>;
  eventId: string;
}

/** Writes the canary data through the node's own RPCs: user keys and an event. */
async function plantCanary(node: RpcNode): Promise<Canary> {
  const keys = new Map<string, { value: string; version: number }>();
  for (const name of ['a', 'b/c', 'é']) {
    const value = `stored before the fuzz: ${name}`;
    const res = await new Promise<{ version: number }>((resolve, reject) =>
      node.state.put({ key: CANARY + name, value: Buffer.from(value) }, (err, r) => (err ? reject(err) : resolve(r.result!))),
    );
    keys.set(CANARY + name, { value, version: res.version });
  }
  const published = await new Promise<{ eventId: string }>((resolve, reject) =>
    node.events.publish({ type: 'cpu', key: CANARY, payload: Buffer.from('canary'), idempotencyKey: CANARY }, (err, r) => (err ? reject(err) : resolve(r))),
  );
  return { keys, eventId: published.eventId };
}

/** Nothing stored before the fuzz is lost or changed, and every system key is an event record that decodes. */
function assertIntact(node: RpcNode, canary: Canary): void {
  for (const [key, want] of canary.keys) {
    const got = node.store.stored(key);
    assert.ok(got && !got.deleted, `canary key ${key} was lost`);
    assert.equal(Buffer.from(got.value).toString(), want.value, `canary key ${key} changed`);
    assert.equal(got.version, want.version, `canary key ${key} was written again`);
  }
  const event = node.store.stored(eventKey(canary.eventId));
  assert.ok(event && !event.deleted, `the canary event ${canary.eventId} was lost`);
  const record = decodeRecord(Buffer.from(event.value));
  assert.equal(Buffer.from(record.payload, 'base64').toString(), 'canary', 'the canary event changed');
  for (const s of node.store.listAll(SYSTEM_PREFIX)) {
    assert.ok(s.key.startsWith(EVENTS_PREFIX), `a system key that is not an event record appeared: ${JSON.stringify(s.key)}`);
    assert.doesNotThrow(() => decodeRecord(Buffer.from(s.value)), `system key ${JSON.stringify(s.key)} holds no event record`);
  }
}

/** Still the primary of its term, taking writes: what the next case expects to find. */
function pristine(node: RpcNode): boolean {
  const r = node.replication;
  const w = r.writer;
  return r.role === 'primary' && w !== undefined && w.term === r.term && w.fenced.refusal() === undefined;
}

/**
 * A node for one fuzz run, replaced by a fresh one when a case moved it off being a writing
 * primary: a valid GetPosition/Follow/Replicate hello with the next term steps it down, a valid
 * Fence stops its writes. Those are the RPCs doing their job; every later case would otherwise
 * only meet redirects. Before it goes, the node must still answer and hold its canary data.
 */
class FuzzedNode {
  node!: RpcNode;
  private canary!: Canary;
  private client!: Client;
  replaced = 0;

  async start(): Promise<void> {
    this.node = await startRpcNode({ allServices: true });
    this.canary = await plantCanary(this.node);
    this.client = new Client(this.node.address, credentials.createInsecure());
  }

  async run(c: Case): Promise<void> {
    const { node } = this;
    // Judged before the call: a Get's wait depends on the position the node is at when it is asked.
    const waits = asksToWait(c, node);
    // This case's failures only: fast-check's shrinking replays cases on the same node.
    const logged = node.internalErrors().length;
    const outcome = await send(this.client, c, waits ? WAITING_DEADLINE_MS : DEADLINE_MS);
    judge(c, outcome, waits);
    // A stream the test cancelled, or a call the client gave up on, must be let go of by the server too.
    await waitFor(`the server to end ${c.method.path} after the call ended`, () => node.calls!.inFlight === 0, { timeoutMs: DEADLINE_MS, intervalMs: 2 });
    assert.deepEqual(node.internalErrors().slice(logged), [], `${c.method.path} failed inside`);
    if (!pristine(node)) {
      await this.retire();
      this.replaced += 1;
      await this.start();
    }
  }

  /** The node still answers, holds its canary data, then stops. */
  async retire(): Promise<void> {
    const { node } = this;
    const position = await new Promise<ServiceError | null>((resolve) =>
      node.sync.getPosition({ term: 0 }, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, resolve),
    );
    assert.equal(position, null, `GetPosition after the fuzz: ${position?.message}`);
    assertIntact(node, this.canary);
    assert.deepEqual(node.internalErrors(), []);
    this.client.close();
    await node.stop();
  }

  /** A normal Put and Get on the primary, then the canary check. */
  async assertServes(): Promise<void> {
    const { state } = this.node;
    const key = `${CANARY}after`;
    const put = await new Promise<ServiceError | null>((resolve) =>
      state.put({ key, value: Buffer.from('v') }, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, resolve),
    );
    assert.equal(put, null, `Put after the fuzz: ${put?.message}`);
    const got = await new Promise<Buffer>((resolve, reject) =>
      state.get({ key, minPosition: 0, consistency: 0 }, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (err, r) =>
        err ? reject(err) : resolve(r.value),
      ),
    );
    assert.equal(got.toString(), 'v');
    await this.retire();
  }
}

describe('every RPC a node serves, fuzzed in-process (issue 16)', function () {
  this.timeout(120_000);

  before(function () {
    console.log(`      fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
  });

  it('covers every method of State, Sync, Events, Discovery, Health and grpc.health.v1, read from their definitions', function () {
    const paths = METHODS.map((m) => m.path);
    for (const known of [
      '/shoal.v1.State/Put',
      '/shoal.v1.State/Watch',
      '/shoal.v1.Sync/Replicate',
      '/shoal.v1.Sync/Promote',
      '/shoal.v1.Events/AckBatch',
      '/shoal.v1.Discovery/WatchMembers',
      '/shoal.v1.Health/StreamStatus',
      '/grpc.health.v1.Health/Check',
      '/grpc.health.v1.Health/Watch',
    ]) {
      assert.ok(paths.includes(known), `${known} is not among the fuzzed methods: ${paths.join(', ')}`);
    }
    assert.ok(METHODS.some((m) => m.requestStream && m.responseStream) && METHODS.some((m) => !m.requestStream && m.responseStream));
  });

  for (const [kind, runs, bytes, seedOffset] of [
    ['random bytes as the request message', RAW_RUNS, rawArb, 0],
    ['well-formed requests with fields at their edges', STRUCTURED_RUNS, structuredBytes, 1],
  ] as const) {
    it(`answers ${kind} with an expected status in time, and keeps serving with nothing stored lost`, async function () {
      const fuzzed = new FuzzedNode();
      await fuzzed.start();
      const started = Date.now();
      try {
        await fc.assert(
          fc.asyncProperty(caseArb(bytes), (c) => fuzzed.run(c)),
          { seed: SEED + seedOffset, numRuns: runs },
        );
        await fuzzed.assertServes();
      } finally {
        await fuzzed.node.stop();
      }
      console.log(`      ${runs} cases in ${((Date.now() - started) / 1000).toFixed(1)} s; a fresh node ${fuzzed.replaced} times after a role change`);
    });
  }
});
