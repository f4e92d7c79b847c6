/**
 * Types for redlock 5.0.0-beta.2, installed as `redlock-beta`: its package.json `exports` hides
 * the declarations it ships from NodeNext resolution, so the part the benchmark uses is restated
 * here (from its dist/index.d.ts).
 */
declare module 'redlock-beta' {
  import type { Redis } from 'ioredis';

  export interface Settings {
    readonly driftFactor: number;
    readonly retryCount: number;
    readonly retryDelay: number;
    readonly retryJitter: number;
    readonly automaticExtensionThreshold: number;
  }

  export class Lock {
    readonly resources: string[];
    readonly value: string;
    expiration: number;
    release(): Promise<unknown>;
    extend(duration: number): Promise<Lock>;
  }

  export default class Redlock {
    constructor(clients: Iterable<Redis>, settings?: Partial<Settings>);
    acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<Lock>;
    using<T>(resources: string[], duration: number, routine: () => Promise<T>): Promise<T>;
    quit(): Promise<void>;
  }
}
