import type { AppInstance } from './app-instance.js';
import { type Check, checkMergedRebuild } from './demo-checks.js';
import { refreshCatalog } from './shop-client.js';
import type { ShopDatabase } from './shop-database.js';

/** What the merged-rebuild step saw. */
export interface MergedRebuild {
  readonly check: Check;
  readonly figures: {
    readonly asked: number;
    /** Rebuilds the cache row counted during the burst. */
    readonly rebuilds: number;
    /** Distinct results among the answers (`app-2 #17…`). */
    readonly results: string[];
    /** Answers per instance asked. */
    readonly perInstance: Record<string, number>;
  };
}

/**
 * Sends `count` refreshes of the catalog cache at once, spread over every instance: they should
 * merge into one rebuild, whose result every one of them answers.
 */
export async function mergedRebuild(
  db: ShopDatabase,
  instances: readonly AppInstance[],
  count: number,
): Promise<MergedRebuild> {
  const before = await db.catalogRebuilds();
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const instance = instances[i % instances.length]!;
      return refreshCatalog(instance.url, instance.name);
    }),
  );
  const rebuilds = (await db.catalogRebuilds()) - before;
  const perInstance: Record<string, number> = {};
  for (const a of answers) perInstance[a.askedInstance] = (perInstance[a.askedInstance] ?? 0) + 1;
  return {
    check: checkMergedRebuild(answers, rebuilds),
    figures: {
      asked: count,
      rebuilds,
      results: [...new Set(answers.map((a) => `${a.builtBy} #${a.fencingToken}`))],
      perInstance,
    },
  };
}
