import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fault in force, recorded so `heal` knows what to undo. */
export type ActiveFault =
  | { kind: 'isolate'; host: string; at: string }
  | { kind: 'route'; namespace: string; host: string; to: string; toHost: string; at: string }
  | { kind: 'pause'; host: string; at: string };

function file(runDir: string): string {
  return join(runDir, 'faults.json');
}

export function readFaults(runDir: string): ActiveFault[] {
  return existsSync(file(runDir)) ? (JSON.parse(readFileSync(file(runDir), 'utf8')) as ActiveFault[]) : [];
}

export function writeFaults(runDir: string, faults: ActiveFault[]): void {
  writeFileSync(file(runDir), JSON.stringify(faults, null, 2) + '\n');
}

export function addFault(runDir: string, fault: ActiveFault): void {
  writeFaults(runDir, [...readFaults(runDir), fault]);
}
