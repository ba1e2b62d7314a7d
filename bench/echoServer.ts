// A bare grpc-js server with one unary method that returns its request bytes: the floor that
// shoal's own layers are measured against. Prints its port on stdout, runs until killed.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { echoService } from '../test/support/echoService';

const server = new Server();
server.addService(echoService, { echo: (call: { request: Buffer }, callback: (err: null, res: Buffer) => void) => callback(null, call.request) });
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${port}\n`);
});
