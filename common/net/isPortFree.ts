import { createServer } from 'node:net';

/** Whether a TCP listener could bind `host:port` right now (another process may take it next). */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
