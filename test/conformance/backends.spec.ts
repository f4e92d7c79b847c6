import { afterEach, beforeEach, describe, it } from '@jest/globals';
import { backendConformance } from '../../lib/testing/index.js';
import type { ConformanceStore } from './conformance-target.js';
import { conformanceTargets } from './targets.js';

// The suite users get from 'nestjs-locker/testing', run against every backend we ship.
for (const target of conformanceTargets) {
  describe(`${target.name} backend conformance`, () => {
    let store: ConformanceStore;
    beforeEach(() => {
      store = target.createStore();
    });
    afterEach(() => store.close());

    for (const check of backendConformance(() => store.open())) {
      it(check.name, () => check.run(), check.timeoutMs);
    }
  });
}
