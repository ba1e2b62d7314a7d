import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import type { RoleName } from '../../common/config/clusterConfig';
import { spawnDetached } from '../../common/local/spawnDetached';

export interface NodeLaunch {
  id: string;
  role: RoleName;
  /** The address it binds and advertises. */
  host: string;
  /** Plaintext beyond loopback allowed (--insecure). */
  insecure: boolean;
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
 * Starts a node (bin/shoal-node.js) detached in its own process group, so it outlives the
 * control plane; output appended to `<logsDir>/<id>.log`.
 */
export function spawnNode(launch: NodeLaunch): { child: ChildProcess & { pid: number }; log: string } {
  const log = join(launch.logsDir, `${launch.id}.log`);
  const args = [
    '--role',
    launch.role,
    '--id',
    launch.id,
    '--cluster',
    launch.cluster,
    '--host',
    launch.host,
    ...(launch.insecure ? ['--insecure'] : []),
    '--port',
    String(launch.grpcPort),
    '--http-port',
    String(launch.httpPort),
    '--data-dir',
    join(launch.dataDir, launch.id),
    ...(launch.configPath ? ['--config', launch.configPath] : []),
  ];
  const child = spawnDetached(join(REPO_ROOT, 'bin', 'shoal-node.js'), args, log, { ...process.env, CONSUL_HTTP_ADDR: launch.consulAddress });
  return { child, log };
}
