import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { InvalidLockOptionsError } from '../contract/errors.js';
import { LockInterceptor } from './lock.interceptor.js';
import { lockRuntime } from './lock-runtime.js';
import {
  LOCKED_METHOD_METADATA,
  type LockedMethod,
  type SingletonCronJob,
} from './locked-method.js';

type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

interface Found {
  readonly target: object;
  readonly method: LockedMethod | SingletonCronJob;
}

/** An object whose prototype chain is a provider's or controller's class, before it is instantiated. */
function classShapeOf(wrapper: InstanceWrapper): unknown {
  if (wrapper.instance && typeof wrapper.instance === 'object') return wrapper.instance;
  const metatype: unknown = wrapper.metatype;
  if (wrapper.inject || typeof metatype !== 'function') return undefined;
  return Object.create((metatype as { prototype: object }).prototype) as object;
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
  ) {
    // Validated while providers are being created, before any onModuleInit, so these errors come
    // before @nestjs/schedule's own, less telling, duplicate-name error.
    const methods = this.#discover(classShapeOf).map((entry) => entry.method);
    for (const method of methods) {
      if (method.problem) throw method.problem;
      if (method.kind === 'locked') interceptor.validate(method);
    }
    this.#checkCronJobs(
      methods.filter((method): method is SingletonCronJob => method.kind === 'cron'),
    );
  }

  onModuleInit(): void {
    for (const { target } of this.#discover((wrapper) => wrapper.instance)) {
      lockRuntime.bind(target, this.interceptor);
    }
    lockRuntime.start(this.interceptor);
  }

  /** Decorated methods of each distinct object `pick` gives for the app's providers and controllers. */
  #discover(pick: (wrapper: InstanceWrapper) => unknown): Found[] {
    const found: Found[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const target = pick(wrapper);
      if (!target || typeof target !== 'object' || seen.has(target)) continue;
      seen.add(target);
      const prototype = Object.getPrototypeOf(target) as object | null;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const value = (target as Record<string, unknown>)[name];
        if (typeof value !== 'function') continue;
        const method = Reflect.getMetadata(LOCKED_METHOD_METADATA, value) as
          | Found['method']
          | undefined;
        if (method) found.push({ target, method });
      }
    }
    return found;
  }

  #checkCronJobs(jobs: SingletonCronJob[]): void {
    if (jobs.length === 0) return;
    const byName = new Map<string, string>();
    for (const job of jobs) {
      this.interceptor.validateCronJob(job);
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
