import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import { recordProcess } from '../../common/local/processRecord';
import type { RunDir, StartedControlPlane } from '../../common/local/RunDir';

export interface ControlPlaneLaunch {
  id: string;
  runDir: RunDir;
  consulAddress: string;
  configPath?: string;
}

/**
 * Starts a control-plane instance as a detached background process in its own process group,
 * output appended to `<run-dir>/logs/<id>.log`. It outlives the CLI; `shoal down` stops it.
 */
export function spawnControlPlane(launch: ControlPlaneLaunch): StartedControlPlane {
  const { runDir } = launch;
  mkdirSync(runDir.logsDir, { recursive: true });
  const log = join(runDir.logsDir, `${launch.id}.log`);
  const fd = openSync(log, 'a');
  try {
    const args = [join(REPO_ROOT, 'bin', 'shoal-control-plane.js'), '--id', launch.id, '--run-dir', runDir.path, ...(launch.configPath ? ['--config', launch.configPath] : [])];
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, CONSUL_HTTP_ADDR: launch.consulAddress },
      cwd: REPO_ROOT,
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start control plane ${launch.id}`);
    return { id: launch.id, ...recordProcess(child.pid), log };
  } finally {
    closeSync(fd);
  }
}
