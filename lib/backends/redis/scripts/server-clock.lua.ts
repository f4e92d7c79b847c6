/** Reads the Redis server's clock into `nowUs` and `nowMs`: the store clock every expiry is decided by. */
export const SERVER_CLOCK_LUA = `
local t = redis.call('TIME')
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nowMs = math.floor(nowUs / 1000)
`;
