import { cpuTimeMs } from '../common/local/processRecord';

/**
 * Where a benchmark's CPU goes: the CPU time each named process used between start() and
 * stop(), per event. Read from /proc (Linux); elsewhere it measures nothing. CPU time moves
 * less than a rate when the machine is busier, so it tells a change's effect from noise in
 * fewer runs. The benchmark's own process (the load it makes) counts as "bench".
 */
export class CpuMeter {
  private readings: { name: string; pid: number; ms: number }[] = [];
  private benchBefore = process.cpuUsage();

  /** @param pids the processes to follow, by name; read at start() (one may be gone by stop()). */
  constructor(private readonly pids: () => Record<string, number>) {}

  start(): void {
    this.readings = [];
    for (const [name, pid] of Object.entries(this.pids())) {
      const ms = cpuTimeMs(pid);
      if (ms !== undefined) this.readings.push({ name, pid, ms });
    }
    this.benchBefore = process.cpuUsage();
  }

  /** µs of CPU per event by process name, "bench" and "total" included; {} without /proc. */
  stop(events: number): Record<string, number> {
    if (this.readings.length === 0) return {};
    const perEvent: Record<string, number> = {};
    let total = 0;
    const add = (name: string, ms: number) => {
      perEvent[name] = Math.round((ms * 1000) / events);
      total += ms;
    };
    for (const { name, pid, ms } of this.readings) {
      const after = cpuTimeMs(pid);
      if (after !== undefined) add(name, after - ms);
    }
    const bench = process.cpuUsage(this.benchBefore);
    add('bench', (bench.user + bench.system) / 1000);
    perEvent.total = Math.round((total * 1000) / events);
    return perEvent;
  }
}

/** One line: "primary 230, replica-1 105, …; total 650". */
export function formatCpu(perEvent: Record<string, number>): string {
  const { total, ...byProcess } = perEvent;
  return `${Object.entries(byProcess)
    .map(([name, us]) => `${name} ${us}`)
    .join(', ')}; total ${total}`;
}
