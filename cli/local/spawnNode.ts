import { spawn } from 'node:child_process';
import { openSync, closeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import type { PlannedNode } from './planPorts';
import { recordProcess } from './processRecord';
import type { StartedNode } from './RunDir';

export interface SpawnOptions {
  logsDir: string;
  /** Each node's state store goes in <dataDir>/<id>. */
  dataDir: string;
  consulAddress: string;
  cluster: string;
  configPath?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a node as a detached background process in its own process group, stdout and stderr
 * appended to `<logsDir>/<id>.log`. It outlives the CLI; `shoal down` stops it by pid.
 */
export function spawnNode(node: PlannedNode, opts: SpawnOptions): StartedNode {
  mkdirSync(opts.logsDir, { recursive: true });
  const log = join(opts.logsDir, `${node.id}.log`);
  const fd = openSync(log, 'a');
  const args = [
    join(REPO_ROOT, 'bin', 'shoal-node.js'),
    '--role', node.role,
    '--id', node.id,
    '--cluster', opts.cluster,
    '--port', String(node.grpcPort),
    '--http-port', String(node.httpPort),
    '--data-dir', join(opts.dataDir, node.id),
    ...(opts.configPath ? ['--config', opts.configPath] : []),
  ];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...(opts.env ?? process.env), CONSUL_HTTP_ADDR: opts.consulAddress },
    cwd: REPO_ROOT,
  });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start node ${node.id}`);
  return { id: node.id, role: node.role, ...recordProcess(child.pid), log, grpcPort: node.grpcPort, httpPort: node.httpPort };
}
