import { RedisScript } from './redis-script.js';
import { ACQUIRE_LUA } from './scripts/acquire.lua.js';
import { EXTEND_LUA } from './scripts/extend.lua.js';
import { INSPECT_LUA } from './scripts/inspect.lua.js';
import { RELEASE_LUA } from './scripts/release.lua.js';

/**
 * The plain-lock scripts, one instance each (SHA computed once), shared by `RedisLockBackend`,
 * its lease shapes and the Redlock backend, which runs the same release and inspect on each node.
 */
export const ACQUIRE = new RedisScript(ACQUIRE_LUA);
export const EXTEND = new RedisScript(EXTEND_LUA);
export const RELEASE = new RedisScript(RELEASE_LUA);
export const INSPECT = new RedisScript(INSPECT_LUA);
