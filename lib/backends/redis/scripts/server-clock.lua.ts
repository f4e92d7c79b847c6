/**
 * The prologue of every script that reads the store clock (the clock every expiry is decided by):
 * the Redis server's `TIME` as the locals `nowUs` and `nowMs` (numbers) and `nowText` (`nowUs` as
 * text, ready to store without a slow number-to-text conversion). The one way the scripts read it.
 */
export const SERVER_CLOCK_LUA = `
local t = redis.call('TIME')
local nowText = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
local nowUs = tonumber(nowText)
local nowMs = math.floor(nowUs / 1000)
`;
