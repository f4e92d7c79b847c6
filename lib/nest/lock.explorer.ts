import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { InvalidLockOptionsError } from '../core/errors.js';
import { LockInterceptor } from './lock.interceptor.js';
import { lockRuntime } from './lock-runtime.js';
import {
  LOCKED_METHOD_METADATA,
  type LockedMethod,
  type SingletonCronJob,
} from './locked-method.js';

interface Found {
  readonly instance: object;
  readonly method: LockedMethod | SingletonCronJob;
}

/**
 * Finds every `@Locked()` and `@SingletonCron()` method of the app's providers and controllers at
 * bootstrap, fails fast on bad static options (naming class and method) and on duplicate job
 * names, and links the instances to this module's interceptor.
 */
@Injectable()
export class LockExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly interceptor: LockInterceptor,
  ) {}

  onModuleInit(): void {
    const found = this.#discover();
    this.#checkCronJobs(
      found
        .filter((entry) => entry.method.kind === 'cron')
        .map((entry) => entry.method as SingletonCronJob),
    );
    for (const { instance, method } of found) {
      if (method.problem) throw method.problem;
      lockRuntime.bind(instance, this.interceptor);
    }
    lockRuntime.start(this.interceptor);
  }

  #discover(): Found[] {
    const found: Found[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const value = (instance as Record<string, unknown>)[name];
        if (typeof value !== 'function') continue;
        const method = Reflect.getMetadata(LOCKED_METHOD_METADATA, value) as
          | Found['method']
          | undefined;
        if (method) found.push({ instance, method });
      }
    }
    return found;
  }

  #checkCronJobs(jobs: SingletonCronJob[]): void {
    if (jobs.length === 0) return;
    const byName = new Map<string, string>();
    for (const job of jobs) {
      const other = byName.get(job.name);
      if (other !== undefined) {
        throw new InvalidLockOptionsError(
          'name',
          `job name "${job.name}" is already used by ${other}; give each @SingletonCron a unique name`,
          job.where,
        );
      }
      byName.set(job.name, job.where);
    }
    const scheduled = this.discovery
      .getProviders()
      .some(
        (wrapper) => (wrapper.metatype as { name?: string } | null)?.name === 'SchedulerRegistry',
      );
    if (!scheduled) {
      throw new InvalidLockOptionsError(
        '@SingletonCron',
        'needs the scheduler: import ScheduleModule.forRoot() from @nestjs/schedule in your root module',
        jobs[0]!.where,
      );
    }
  }
}
