import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import { recordProcess } from '../../common/local/processRecord';
import type { RunDir, StartedMonitor } from '../../common/local/RunDir';
import { spawnDetached } from '../../common/local/spawnDetached';

export interface MonitorLaunch {
  runDir: RunDir;
  consulAddress: string;
  configPath?: string;
  port: number;
}

/**
 * Starts the monitor (the dashboard) in the background, output appended to
 * `<run-dir>/logs/monitor.log`. It outlives the CLI; `shoal down` stops it.
 */
export function spawnMonitor(launch: MonitorLaunch): StartedMonitor {
  const log = join(launch.runDir.logsDir, 'monitor.log');
  const args = ['--port', String(launch.port), ...(launch.configPath ? ['--config', launch.configPath] : [])];
  const child = spawnDetached(join(REPO_ROOT, 'bin', 'shoal-monitor.js'), args, log, { ...process.env, CONSUL_HTTP_ADDR: launch.consulAddress });
  return { ...recordProcess(child.pid), log, url: `http://localhost:${launch.port}` };
}
