import { request } from 'node:https';

/**
 * The pid in the monitor's /health/live answer (to tell the monitor `up` started from another on
 * the port), over HTTP, or over HTTPS checked against the cluster's `ca`. Its certificate is
 * checked for the name localhost, which every certificate of `shoal certs create` carries,
 * whatever address it listens on. Rejects when it does not answer.
 */
export async function monitorPid(url: string, ca?: Buffer): Promise<number | undefined> {
  const live = `${url}/health/live`;
  if (!url.startsWith('https:')) {
    const res = await fetch(live, { signal: AbortSignal.timeout(500) });
    return res.ok ? ((await res.json()) as { pid?: number }).pid : undefined;
  }
  return new Promise((resolve, reject) => {
    const req = request(live, { ca, servername: 'localhost', timeout: 500 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? (JSON.parse(body) as { pid?: number }).pid : undefined));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${live} within 500 ms`)));
    req.on('error', reject);
    req.end();
  });
}
