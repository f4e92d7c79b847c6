import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Scope,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InvalidLockOptionsError } from '../contract/errors.js';
import { LeaderCampaign, type LeadershipLostReason } from '../manager/leader-campaign.js';
import type { Lock } from '../manager/lock.js';
// A value import: Nest reads the constructor's parameter types from decorator metadata.
import { LockManager } from '../manager/lock-manager.js';
import { checkTtlLimit } from '../manager/validate-options.js';
import {
  LEADER_ELECTION_METADATA,
  type LeaderElectionMetadata,
  type OnLeadershipAcquired,
  type OnLeadershipLost,
} from './leader-election.decorator.js';

type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];
type Candidate = Partial<OnLeadershipAcquired & OnLeadershipLost>;

/** One leadership key of the app: its term ttl and the classes that campaign for it. */
interface Election {
  readonly key: string;
  readonly ttlMs: number;
  readonly where: string[];
}

/**
 * Runs the `@LeaderElection()` providers of the app: validates them while providers are created
 * (bad options, a class without hooks, one key with two ttls, a provider that is not a singleton),
 * starts one campaign per key at application bootstrap, and steps down in `onModuleDestroy`, the
 * first shutdown hook, so the next leader takes over before the app tears anything else down.
 */
@Injectable()
export class LeaderElector implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger('LockModule');
  readonly #elections: ReadonlyMap<string, Election>;
  readonly #campaigns = new Map<string, LeaderCampaign>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly manager: LockManager,
  ) {
    this.#elections = this.#validate();
  }

  /** Whether this instance leads `key` now; throws for a key no `@LeaderElection` campaigns for. */
  isLeader(key: string): boolean {
    if (!this.#elections.has(key)) {
      throw new InvalidLockOptionsError(
        'key',
        `no @LeaderElection provider campaigns for "${key}"${this.#elections.size ? ` (known: ${[...this.#elections.keys()].map((k) => `"${k}"`).join(', ')})` : ''}`,
        'LockService.isLeader',
      );
    }
    return this.#campaigns.get(key)?.isLeader ?? false;
  }

  onApplicationBootstrap(): void {
    const byKey = new Map<string, Candidate[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const metadata = metadataOf(wrapper);
      if (!metadata) continue;
      if (!wrapper.isDependencyTreeStatic() || !wrapper.instance) {
        throw notSingleton(metadata.where, 'depends on a request-scoped provider');
      }
      const candidates = byKey.get(metadata.key) ?? [];
      if (!candidates.includes(wrapper.instance as Candidate)) {
        candidates.push(wrapper.instance as Candidate);
      }
      byKey.set(metadata.key, candidates);
    }
    for (const [key, candidates] of byKey) {
      if (this.#campaigns.has(key)) continue;
      const campaign = new LeaderCampaign(this.manager, key, this.#elections.get(key)!.ttlMs, {
        acquired: async (lock) => {
          for (const candidate of candidates) await candidate.onLeadershipAcquired?.(lock);
        },
        lost: (lock, reason) => this.#lost(key, candidates, lock, reason),
        report: (message, error) => this.#report(message, error),
      });
      this.#campaigns.set(key, campaign);
      campaign.start();
    }
  }

  async onModuleDestroy(): Promise<void> {
    const campaigns = [...this.#campaigns.values()];
    this.#campaigns.clear();
    await Promise.all(campaigns.map((campaign) => campaign.stop()));
  }

  async #lost(
    key: string,
    candidates: readonly Candidate[],
    lock: Lock,
    reason: LeadershipLostReason,
  ): Promise<void> {
    if (reason === 'lease-lost') {
      this.#logger.warn(`lost leadership of "${key}" (fencing token ${lock.fencingToken})`);
    }
    for (const candidate of candidates) {
      try {
        await candidate.onLeadershipLost?.(lock, reason);
      } catch (error) {
        this.#report(`onLeadershipLost for "${key}" threw`, error);
      }
    }
  }

  #report(message: string, error: unknown): void {
    this.#logger.error(
      `${message}: ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
  }

  /** Every leadership key of the app, checked; throws the first problem found. */
  #validate(): Map<string, Election> {
    const elections = new Map<string, Election>();
    for (const wrapper of this.discovery.getProviders()) {
      const metadata = metadataOf(wrapper);
      if (!metadata) continue;
      if (metadata.problem) throw metadata.problem;
      if (wrapper.scope !== undefined && wrapper.scope !== Scope.DEFAULT) {
        throw notSingleton(
          metadata.where,
          `is ${wrapper.scope === Scope.REQUEST ? 'request-scoped' : 'transient'}`,
        );
      }
      const ttlMs = metadata.ttl ?? this.manager.defaults.ttl;
      checkTtlLimit(ttlMs, this.manager.backend, 'ttl', metadata.where);
      const known = elections.get(metadata.key);
      if (!known) {
        elections.set(metadata.key, { key: metadata.key, ttlMs, where: [metadata.where] });
        continue;
      }
      if (known.ttlMs !== ttlMs) {
        throw new InvalidLockOptionsError(
          'ttl',
          `leadership key "${metadata.key}" has ttl ${ttlMs} ms here but ${known.ttlMs} ms in ${known.where.join(', ')}; one key is one election, give it one ttl`,
          metadata.where,
        );
      }
      if (!known.where.includes(metadata.where)) known.where.push(metadata.where);
    }
    return elections;
  }
}

/** The `@LeaderElection` metadata of a provider's class, if any. */
function metadataOf(wrapper: InstanceWrapper): LeaderElectionMetadata | undefined {
  const instance: unknown = wrapper.instance;
  const type: unknown =
    instance && typeof instance === 'object'
      ? instance.constructor
      : wrapper.inject
        ? undefined
        : wrapper.metatype;
  if (typeof type !== 'function') return undefined;
  return Reflect.getMetadata(LEADER_ELECTION_METADATA, type) as LeaderElectionMetadata | undefined;
}

function notSingleton(where: string, why: string): InvalidLockOptionsError {
  return new InvalidLockOptionsError(
    '@LeaderElection',
    `must decorate a singleton provider, but ${where} ${why}: an election needs one long-lived instance per app`,
    where,
  );
}
