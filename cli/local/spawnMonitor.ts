import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import { recordProcess } from '../../common/local/processRecord';
import type { RunDir, StartedMonitor } from '../../common/local/RunDir';
import { spawnDetached } from '../../common/local/spawnDetached';
import { isLoopback } from '../../common/net/plaintextBinding';

export interface MonitorLaunch {
  runDir: RunDir;
  consulAddress: string;
  configPath?: string;
  port: number;
  /** Address it listens on. @default 127.0.0.1 */
  host?: string;
  /** HTTPS (beyond loopback, the config has a tls section). */
  https?: boolean;
  /**
   * A login token `up` made for it: handed over in its environment (SHOAL_DASHBOARD_TOKEN), never
   * on its command line (which every user sees) nor printed by it (its output is a log file).
   */
  token?: string;
}

/**
 * Starts the monitor (the dashboard) in the background, output appended to
 * `<run-dir>/logs/monitor.log`. It outlives the CLI; `shoal down` stops it.
 */
export function spawnMonitor(launch: MonitorLaunch): StartedMonitor {
  const log = join(launch.runDir.logsDir, 'monitor.log');
  const host = launch.host ?? '127.0.0.1';
  const args = ['--port', String(launch.port), '--host', host, ...(launch.configPath ? ['--config', launch.configPath] : [])];
  const env = { ...process.env, CONSUL_HTTP_ADDR: launch.consulAddress, ...(launch.token && { SHOAL_DASHBOARD_TOKEN: launch.token }) };
  const child = spawnDetached(join(REPO_ROOT, 'bin', 'shoal-monitor.js'), args, log, env);
  // On loopback or every address, localhost (which the certificates of `shoal certs create` name).
  const shown = isLoopback(host) || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return { ...recordProcess(child.pid), log, url: `${launch.https ? 'https' : 'http'}://${shown}:${launch.port}` };
}
