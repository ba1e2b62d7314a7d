import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { ListRequest, ListResponse } from '../../../gen/shoal/v1/state';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { checkPrefix, DEFAULT_PAGE, MAX_PAGE } from './limits';
import { readSite, untilAcknowledged } from './readMode';
import type { StateDeps } from './server';
import { answerBy } from './write';

/**
 * Keys under a prefix in key order, at the request's consistency; the page token is the last
 * key returned (base64url). On the primary, a page whose key range holds a write not yet
 * acknowledged waits for its acks, then is read again.
 */
export async function list(
  deps: Pick<StateDeps, 'identity' | 'replication' | 'membership' | 'sync'>,
  request: ListRequest,
  call: ServerUnaryCall<ListRequest, ListResponse>,
  signal: AbortSignal,
): Promise<ListResponse> {
  checkPrefix(request.prefix);
  if (request.limit > MAX_PAGE) throw invalidArgument(`limit is ${request.limit}; the largest page is ${MAX_PAGE}`);
  const limit = request.limit || DEFAULT_PAGE;
  const after = request.pageToken ? Buffer.from(request.pageToken, 'base64url').toString('utf8') : '';
  if (after && !after.startsWith(request.prefix)) throw invalidArgument('page_token does not belong to this prefix');
  const deadlineMs = answerBy(call, deps.sync.ackTimeout);
  const { r, writer, mayBeStale } = await readSite(deps, request.consistency, 'list', deadlineMs, signal);
  const read = () => {
    const rows = r.store.list(request.prefix, after, limit + 1);
    return { page: rows.slice(0, limit), more: rows.length > limit };
  };
  let { page, more } = read();
  if (writer) {
    // The page's key range, up to its last key unless it is the last page (a pending write may add a key there).
    const range = () => writer.unacknowledgedUnder(request.prefix, after, more ? page[page.length - 1].key : undefined);
    if (range() > 0) {
      await untilAcknowledged(writer, () => (({ page, more } = read()), range()), `a key under "${request.prefix}"`, deadlineMs, signal);
    }
  }
  return {
    entries: page.map((s) => ({ key: s.key, value: s.value, version: s.version, position: s.position })),
    nextPageToken: more ? Buffer.from(page[page.length - 1].key, 'utf8').toString('base64url') : '',
    position: writer ? writer.acks.acknowledged : r.store.lastPosition,
    term: r.term,
    nodeId: deps.identity.id,
    mayBeStale,
  };
}
