import type { Server } from '@grpc/grpc-js';

/** tryShutdown, then forceShutdown if calls are still open after `ms`. */
export async function shutdownWithin(server: Server, ms: number, onForce: () => void): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      onForce();
      server.forceShutdown();
      resolve();
    }, ms);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
