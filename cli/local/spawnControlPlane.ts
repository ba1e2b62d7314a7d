import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import { recordProcess } from '../../common/local/processRecord';
import type { RunDir, StartedControlPlane } from '../../common/local/RunDir';
import { spawnDetached } from '../../common/local/spawnDetached';

export interface ControlPlaneLaunch {
  id: string;
  runDir: RunDir;
  consulAddress: string;
  configPath?: string;
}

/**
 * Starts a control-plane instance in the background (detached, its own process group), output
 * appended to `<run-dir>/logs/<id>.log`. It outlives the CLI; `shoal down` stops it.
 */
export function spawnControlPlane(launch: ControlPlaneLaunch): StartedControlPlane {
  const { runDir } = launch;
  const log = join(runDir.logsDir, `${launch.id}.log`);
  const args = ['--id', launch.id, '--run-dir', runDir.path, ...(launch.configPath ? ['--config', launch.configPath] : [])];
  const child = spawnDetached(join(REPO_ROOT, 'bin', 'shoal-control-plane.js'), args, log, { ...process.env, CONSUL_HTTP_ADDR: launch.consulAddress });
  return { id: launch.id, ...recordProcess(child.pid), log };
}
