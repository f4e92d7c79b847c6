import { describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import {
  InvalidLockOptionsError,
  RedlockLockBackend,
  type RedlockLockBackendOptions,
} from '../../lib/index.js';

/** Options are checked before any connection is opened, so none of these touches a network. */
const urls = ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379', 'redis://10.0.0.3:6379'];
const fakeClient = (host: string): Redis =>
  ({ evalsha: () => undefined, options: { host, port: 6379 } }) as unknown as Redis;

function refusal(options: RedlockLockBackendOptions): InvalidLockOptionsError {
  try {
    new RedlockLockBackend(options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    return error as InvalidLockOptionsError;
  }
  throw new Error('the options were accepted');
}

describe('RedlockLockBackend options', () => {
  it('refuses fewer than three nodes, pointing to RedisLockBackend for one', () => {
    const error = refusal({ nodes: urls.slice(0, 1) });
    expect(error.field).toBe('nodes');
    expect(error.message).toContain('RedisLockBackend');
    expect(refusal({ nodes: [] }).field).toBe('nodes');
  });

  it('refuses an even number of nodes', () => {
    const error = refusal({ nodes: [...urls, 'redis://10.0.0.4:6379'] });
    expect(error.message).toContain('odd number');
  });

  it('refuses the same server twice, however it is spelled', () => {
    expect(refusal({ nodes: [urls[0]!, urls[1]!, urls[0]!] }).field).toBe('nodes[2]');
    const spelled = refusal({
      nodes: [
        'redis://localhost:7000',
        'redis://127.0.0.1:7001',
        { url: 'redis://127.0.0.1:7000' },
      ],
    });
    expect(spelled.field).toBe('nodes[2]');
    expect(spelled.message).toContain('count twice');
    const client = fakeClient('10.0.0.9');
    expect(refusal({ nodes: [client, fakeClient('10.0.0.8'), client] }).field).toBe('nodes[2]');
    expect(refusal({ nodes: [client, urls[0]!, 'redis://10.0.0.9:6379'] }).field).toBe('nodes[2]');
  });

  it('refuses nodes that are neither clients nor Redis URLs', () => {
    expect(refusal({ nodes: [urls[0]!, urls[1]!, 'not a url'] }).field).toBe('nodes[2]');
    expect(refusal({ nodes: [urls[0]!, urls[1]!, 'http://10.0.0.3'] }).field).toBe('nodes[2]');
    expect(refusal({ nodes: [urls[0]!, urls[1]!, 42 as unknown as string] }).field).toBe(
      'nodes[2]',
    );
    expect(refusal({ nodes: [urls[0]!, urls[1]!, { client: {} as Redis }] }).field).toBe(
      'nodes[2].client',
    );
  });

  it('refuses missing nodes and bad timings', () => {
    expect(refusal(undefined as unknown as RedlockLockBackendOptions).field).toBe('nodes');
    expect(refusal({ nodes: urls, commandTimeoutMs: 0 }).field).toBe('commandTimeoutMs');
    expect(refusal({ nodes: urls, commandTimeoutMs: 1.5 }).field).toBe('commandTimeoutMs');
    expect(refusal({ nodes: urls, clockDriftFactor: -0.1 }).field).toBe('clockDriftFactor');
    expect(refusal({ nodes: urls, clockDriftFactor: 0.5 }).field).toBe('clockDriftFactor');
    expect(refusal({ nodes: urls, fenceRetentionMs: -1 }).field).toBe('fenceRetentionMs');
    expect(
      refusal({
        nodes: urls,
        onWarning: 'yes' as unknown as RedlockLockBackendOptions['onWarning'],
      }).field,
    ).toBe('onWarning');
  });

  it('accepts lent clients without opening anything, and reports its quorum', async () => {
    const clients = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map(fakeClient);
    const backend = new RedlockLockBackend({ nodes: clients, onWarning: false });
    expect(backend.name).toBe('redlock');
    expect(backend.quorum).toBe(3);
    await backend.close();
  });
});
