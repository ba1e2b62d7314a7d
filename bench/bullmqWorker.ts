// A BullMQ worker process for the events benchmark's baseline: the same trivial handler
// (SHA-256 of the payload) as shoal's built-in `hash`. Args: REDIS_PORT CONCURRENCY.
import { createHash } from 'node:crypto';
import { Worker } from 'bullmq';

const [port, concurrency] = process.argv.slice(2).map(Number);
const worker = new Worker<{ payload: string }>(
  'bench',
  (job) => Promise.resolve({ sha256: createHash('sha256').update(Buffer.from(job.data.payload, 'base64')).digest('hex') }),
  { connection: { host: '127.0.0.1', port }, concurrency },
);
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
