import { describeBackendConformance } from './backend-conformance.js';
import { conformanceTargets } from './targets.js';

for (const target of conformanceTargets) describeBackendConformance(target);
