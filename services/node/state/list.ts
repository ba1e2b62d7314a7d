import type { ListRequest, ListResponse } from '../../../gen/shoal/v1/state';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { readableReplication } from '../sync/primaryRedirect';
import { checkPrefix, DEFAULT_PAGE, MAX_PAGE } from './limits';
import type { StateDeps } from './server';

/** Keys under a prefix in key order; the page token is the last key returned (base64url). */
export function list(deps: Pick<StateDeps, 'identity' | 'replication' | 'membership'>, request: ListRequest): ListResponse {
  checkPrefix(request.prefix);
  if (request.limit > MAX_PAGE) throw invalidArgument(`limit is ${request.limit}; the largest page is ${MAX_PAGE}`);
  const limit = request.limit || DEFAULT_PAGE;
  const after = request.pageToken ? Buffer.from(request.pageToken, 'base64url').toString('utf8') : '';
  if (after && !after.startsWith(request.prefix)) throw invalidArgument('page_token does not belong to this prefix');
  const r = readableReplication(deps, 'a read');
  const rows = r.store.list(request.prefix, after, limit + 1);
  const page = rows.slice(0, limit);
  return {
    entries: page.map((s) => ({ key: s.key, value: s.value, version: s.version, position: s.position })),
    nextPageToken: rows.length > limit ? Buffer.from(page[page.length - 1].key, 'utf8').toString('base64url') : '',
    position: r.store.lastPosition,
  };
}
