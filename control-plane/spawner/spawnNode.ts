import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import type { RoleName } from '../../common/config/clusterConfig';

export interface NodeLaunch {
  id: string;
  role: RoleName;
  grpcPort: number;
  httpPort: number;
  logsDir: string;
  /** The node's state store goes in <dataDir>/<id>. */
  dataDir: string;
  consulAddress: string;
  cluster: string;
  configPath?: string;
}

/**
 * Starts a node as a detached process in its own process group (so it outlives the control
 * plane, and a signal to the group reaches everything it runs), stdout and stderr appended to
 * `<logsDir>/<id>.log`.
 */
export function spawnNode(launch: NodeLaunch): { child: ChildProcess; log: string } {
  mkdirSync(launch.logsDir, { recursive: true });
  const log = join(launch.logsDir, `${launch.id}.log`);
  const fd = openSync(log, 'a');
  const args = [
    join(REPO_ROOT, 'bin', 'shoal-node.js'),
    '--role', launch.role,
    '--id', launch.id,
    '--cluster', launch.cluster,
    '--port', String(launch.grpcPort),
    '--http-port', String(launch.httpPort),
    '--data-dir', join(launch.dataDir, launch.id),
    ...(launch.configPath ? ['--config', launch.configPath] : []),
  ];
  try {
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, CONSUL_HTTP_ADDR: launch.consulAddress },
      cwd: REPO_ROOT,
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start node ${launch.id}`);
    return { child, log };
  } finally {
    closeSync(fd);
  }
}
