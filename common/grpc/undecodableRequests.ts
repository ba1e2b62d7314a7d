import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Server, type ServerInterceptor, ServerInterceptingCall, type ServiceDefinition, status } from '@grpc/grpc-js';
import { createFileRegistry, type DescMessage, type FileRegistry, fromBinary, type Message } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { REPO_ROOT } from '../paths';

/**
 * grpc-js answers a request its deserializer throws on with INTERNAL, a code that says the
 * server is broken. A request that is not a valid message (bad bytes, or a 64-bit integer past
 * 2^53 - 1, which ts-proto's number fields refuse) is the caller's fault: INVALID_ARGUMENT,
 * naming the field when one is to blame. So the deserializer never throws; it hands on this
 * marker, which `refuseUndecodable` answers before any handler sees it.
 */
class UndecodableRequest {
  constructor(readonly details: string) {}
}

/**
 * A server interceptor: a request marked undecodable by `decodeOrMark` ends its call with
 * INVALID_ARGUMENT. Needed on every server whose services are added through `markingUndecodable`.
 */
export const refuseUndecodable: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, pass) => {
          if (message instanceof UndecodableRequest) call.sendStatus({ code: status.INVALID_ARGUMENT, details: message.details });
          else pass(message);
        },
      }),
  });

/** `server`'s addService, each definition's request decoder wrapped by `decodeOrMark`: hand it to addToServer of health and reflection. */
export function markingUndecodable(server: Pick<Server, 'addService'>): Pick<Server, 'addService'> {
  return { addService: (definition, implementation) => server.addService(decodeOrMark(definition), implementation) };
}

/** `definition` with request decoders that return an UndecodableRequest instead of throwing. */
export function decodeOrMark<D extends ServiceDefinition>(definition: D): D {
  const wrapped: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes) as unknown;
        } catch (err) {
          return new UndecodableRequest(whyUndecodable(method.path, bytes, err));
        }
      },
    };
  }
  return wrapped as unknown as D;
}

/** The details for a request of `path` that did not decode: the field past 2^53 - 1 when that is why. */
function whyUndecodable(path: string, bytes: Buffer, err: unknown): string {
  const input = inputOf(path);
  const said = err instanceof Error ? err.message : String(err);
  if (input) {
    try {
      // It parses as protobuf (64-bit integers as bigints): only a number field was out of range.
      const field = unsafeInteger(input, fromBinary(input, bytes));
      if (field) return `${field.name} is ${field.value}, outside ±(2^53 - 1), the integers shoal takes`;
    } catch {
      // Not protobuf at all: say what the decoder said.
    }
  }
  return `the request is not a valid ${input?.typeName ?? path} message (${said})`;
}

let registry: FileRegistry | undefined;

/** The request type of `path` (/package.Service/Method), from the descriptor set `make proto` writes. */
function inputOf(path: string): DescMessage | undefined {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(join(REPO_ROOT, 'gen', 'descriptors.binpb'))));
  const [, service, method] = path.split('/');
  return registry.getService(service)?.methods.find((m) => m.name === method)?.input;
}

/** The first 64-bit integer field (in nested messages and lists too) beyond ±(2^53 - 1), with its proto path. */
function unsafeInteger(desc: DescMessage, message: Message, at = ''): { name: string; value: bigint } | undefined {
  const unsafe = (v: unknown) => typeof v === 'bigint' && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER));
  const fields = message as unknown as Record<string, unknown>;
  for (const field of desc.fields) {
    const name = `${at}${field.name}`;
    const chosen = field.oneof ? (fields[field.oneof.localName] as { case?: string; value?: unknown }) : undefined;
    if (field.oneof && chosen?.case !== field.localName) continue;
    const value = chosen ? chosen.value : fields[field.localName];
    if (field.fieldKind === 'scalar' && unsafe(value)) return { name, value: value as bigint };
    if (field.fieldKind === 'message' && value) {
      const inner = unsafeInteger(field.message, value as Message, `${name}.`);
      if (inner) return inner;
    }
    if (field.fieldKind === 'list') {
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        if (field.listKind === 'scalar' && unsafe(items[i])) return { name: `${name}[${i}]`, value: items[i] as bigint };
        if (field.listKind === 'message') {
          const inner = unsafeInteger(field.message, items[i] as Message, `${name}[${i}].`);
          if (inner) return inner;
        }
      }
    }
  }
  return undefined;
}
