import type { Redis } from 'ioredis';

/** Commands one client sent, counted as it sends them. */
export interface CommandCount {
  /** Commands sent since the last `reset()`: each is one round trip (no pipelining here). */
  readonly sent: number;
  reset(): void;
}

/**
 * Counts every command `client` sends from now on, by wrapping its `sendCommand`, through which
 * ioredis sends every command (a script call included). The commands a script runs inside Redis
 * are not counted: they cost no round trip.
 */
export function countCommands(client: Redis): CommandCount {
  let sent = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    sent++;
    return send(...args);
  }) as Redis['sendCommand'];
  return {
    get sent() {
      return sent;
    },
    reset() {
      sent = 0;
    },
  };
}
