import { join } from 'node:path';
import { killAll } from './processRegistry';
import { secretsInLogs } from './secretScan';

/**
 * mocha root hooks: after the whole run, nothing a test started may still run, and no log the
 * run wrote holds a secret it made (a private key, an ACL or bearer token).
 */
export const mochaHooks = {
  afterAll(): void {
    killAll();
    const leaks = secretsInLogs(join(__dirname, '..', '..', 'test-output'));
    if (leaks.length > 0) throw new Error(`secrets found in logs:\n  ${leaks.join('\n  ')}`);
  },
};
