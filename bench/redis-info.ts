import type { Redis } from 'ioredis';

/** What one `INFO` reply says about the server's work and memory so far. */
export interface RedisServerInfo {
  /** `total_commands_processed`: those a script ran inside the server and this `INFO` included. */
  readonly commandsProcessed: number;
  /** `used_cpu_sys` + `used_cpu_user`: CPU seconds the server has used since it started. */
  readonly cpuSec: number;
  /** `used_memory`: bytes the server's allocator holds. */
  readonly usedMemory: number;
}

/** Reads the server's counters with one `INFO` call (its default sections: stats, cpu, memory). */
export async function readServerInfo(client: Redis): Promise<RedisServerInfo> {
  const info = await client.info();
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return {
    commandsProcessed: field('total_commands_processed'),
    cpuSec: field('used_cpu_sys') + field('used_cpu_user'),
    usedMemory: field('used_memory'),
  };
}

/**
 * A counter of `command` in an `INFO commandstats` reply: its calls or its µs (0 when it did not
 * run). A script's own commands are counted under their names too, and its time under the script's.
 */
export function commandStat(info: string, command: string, field: 'calls' | 'usec'): number {
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+),usec=(\\d+)`, 'm').exec(info);
  return Number(match?.[field === 'calls' ? 1 : 2] ?? 0);
}
