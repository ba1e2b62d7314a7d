import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import type { FeedSnapshot } from '../../control-plane/monitor/ClusterFeed';
import { createMonitorServer, type MonitorFeed } from '../../control-plane/monitor/MonitorServer';

const DASHBOARD = join(__dirname, '../../control-plane/monitor/dashboard');

describe('MonitorServer serves the page and its modules, and nothing else from disk', function () {
  let server: Server;
  let port: number;

  /** A GET of this path exactly as written (fetch would resolve its dots first). */
  function get(path: string): Promise<{ status: number; type: string | undefined; nosniff: boolean; body: string }> {
    return new Promise((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], nosniff: res.headers['x-content-type-options'] === 'nosniff', body }),
        );
      }).on('error', reject);
    });
  }

  before(async function () {
    const connection = { connected: false, leaderId: '', leaderAddress: '', problem: 'connecting' };
    const snapshot: FeedSnapshot = { connection, cluster: undefined, history: [], events: [], conflicts: [] };
    const feed: MonitorFeed = { snapshot: () => snapshot, subscribe: () => () => true, status: connection };
    server = createMonitorServer(feed, pino({ level: 'silent' }), '127.0.0.1');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async function () {
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves every module of the page as text/javascript, which the browser requires of a module', async function () {
    const modules = readdirSync(DASHBOARD).filter((f) => f.endsWith('.js'));
    assert.ok(modules.includes('main.js'));
    for (const file of modules) {
      const res = await get(`/assets/${file}`);
      assert.deepEqual([res.status, res.type, res.nosniff], [200, 'text/javascript; charset=utf-8', true], file);
    }
  });

  it('serves the page at / and /index.html, and its stylesheet as text/css', async function () {
    for (const path of ['/', '/index.html']) {
      const res = await get(path);
      assert.equal(res.type, 'text/html; charset=utf-8', path);
      assert.match(res.body, /<script type="module" src="\/assets\/main.js">/, path);
    }
    assert.equal((await get('/assets/dashboard.css')).type, 'text/css; charset=utf-8');
  });

  it('answers 404 to any other path, however it points at a file', async function () {
    const paths = [
      '/assets/dashboard.js',
      '/assets/../MonitorServer.ts',
      '/assets/%2e%2e/MonitorServer.ts',
      '/assets/..%2fMonitorServer.ts',
      '/dashboard/main.js',
      '/assets/',
      '/main.js',
    ];
    for (const path of paths) {
      const res = await get(path);
      assert.deepEqual([res.status, res.type], [404, 'application/json'], path);
    }
  });
});
