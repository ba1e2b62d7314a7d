import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One request by node:http or node:https (by the URL's scheme), with `ca` as the only trusted
 * CA when given (fetch cannot take one), and the certificate checked against `servername` when
 * given (else the Host header's name). Rejects on a connection or TLS error.
 */
export function httpRequestOf(
  url: string,
  opts: { ca?: Buffer; method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; servername?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const https = url.startsWith('https:');
    const send = https ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        timeout: opts.timeoutMs ?? 5000,
        ...(https && opts.ca && { ca: opts.ca }),
        ...(opts.servername && { servername: opts.servername }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${opts.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
