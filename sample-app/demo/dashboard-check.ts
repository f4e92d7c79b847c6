import type { DashboardSnapshot } from 'nestjs-locker';
import type { AppInstance } from './app-instance.js';
import type { Check } from './demo-checks.js';

/** The sample app's instance id for an instance name (`app-1` → `app_1`). */
const idOf = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * Reads the lock dashboard of one surviving instance after the kill -9 and checks that it tells
 * what happened (on a store that cannot list its keys: that it shows its own instance alone): the survivors are listed and the killed instance is not (its record ran out),
 * the report job's recent ticks each name an instance of the demo that ran it (the killed one's
 * ticks before the kill too: their claims are still in the store), and the instance that took
 * the job over is among them.
 */
export async function checkDashboard(
  instances: readonly AppInstance[],
  password: string,
  takeover: { readonly victim: string; readonly successor: string } | undefined,
): Promise<Check> {
  const name =
    'the lock dashboard lists the survivors, not the killed instance, and who ran each report tick, the successor included';
  const survivors = instances.filter((instance) => instance.exit === undefined);
  const reader = survivors[0];
  if (!reader) return { name, ok: false, detail: 'no instance survived to serve it' };
  const response = await fetch(`${reader.url}/locks/api/snapshot`, {
    headers: { authorization: `Basic ${Buffer.from(`demo:${password}`).toString('base64')}` },
  });
  if (!response.ok) return { name, ok: false, detail: `api/snapshot answered ${response.status}` };
  const snapshot = (await response.json()) as DashboardSnapshot;
  if (!snapshot.canList) return ownViewOnly(snapshot, reader);
  const listed = snapshot.instances.map((instance) => instance.id).sort();
  const expected = survivors.map((instance) => idOf(instance.name)).sort();
  const report = snapshot.crons.find((job) => job.name === 'nightly-report');
  const ran = (report?.ticks ?? []).filter((tick) => tick.ranBy !== null);
  const ranBy = new Set(ran.map((tick) => tick.ranBy!));
  const everyInstance = instances.map((instance) => idOf(instance.name));
  const ok =
    listed.join() === expected.join() &&
    (takeover === undefined ||
      (!listed.includes(idOf(takeover.victim)) && ranBy.has(idOf(takeover.successor)))) &&
    ran.length >= 3 &&
    [...ranBy].every((id) => everyInstance.includes(id));
  const killed = takeover ? `; ${takeover.victim} killed, ${takeover.successor} took over` : '';
  return {
    name,
    ok,
    detail: `instances ${listed.join(', ') || 'none'}; ${ran.length} recent ticks, run by ${[...ranBy].join(', ') || 'none'}${killed}`,
  };
}

/**
 * On a store that cannot list its keys (the Postgres advisory mode), the dashboard shows the
 * instance that serves it alone: it must say so, and list that instance and nobody else.
 */
function ownViewOnly(snapshot: DashboardSnapshot, reader: AppInstance): Check {
  const listed = snapshot.instances.map((instance) => instance.id);
  const self = idOf(reader.name);
  return {
    name: 'the lock dashboard of a store that cannot list its keys shows its own instance alone',
    ok: listed.join() === self && snapshot.servedBy === self,
    detail: `served by ${snapshot.servedBy}; instances ${listed.join(', ') || 'none'}`,
  };
}
