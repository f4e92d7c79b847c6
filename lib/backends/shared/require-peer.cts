/**
 * `require`, resolving from this package's own folder, for the optional peers (ioredis, pg) that a
 * backend loads only when it opens connections itself.
 *
 * A `.cts` file is CommonJS in both builds (`.cjs` in `dist/` and in `dist/cjs/`), so it has its own
 * `require`, and no build needs the module URL of ESM, a syntax error to a CommonJS runtime such as
 * jest's.
 */
const requirePeer: NodeJS.Require = require;
export = requirePeer;
