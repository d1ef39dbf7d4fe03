-- lease-fill.lua: store the value loaded under a lease, unless the lease is gone.
--   KEYS[1] = cache key, ARGV[1] = token from lease-get, ARGV[2] = value, ARGV[3] = TTL in ms (0 = none)
-- Replies 1 if stored, 0 if refused: the key was deleted (invalidated) since the lease was taken, or the
-- lease expired, or another lease replaced it. A refused value is stale or may be: it must not be cached.
local MARKER = '\0lease:'

local token = ARGV[1]
local ttlMs = tonumber(ARGV[3] or '0')
if not token or token == '' then
  return redis.error_reply('ERR lease-fill: ARGV[1] must be the token of lease-get')
end
if ARGV[2] == nil then
  return redis.error_reply('ERR lease-fill: ARGV[2] must be the value')
end
if string.sub(ARGV[2], 1, #MARKER) == MARKER then
  return redis.error_reply('ERR lease-fill: a value must not start with the lease marker (a NUL byte and "lease:")')
end
if not ttlMs or ttlMs < 0 or ttlMs ~= math.floor(ttlMs) then
  return redis.error_reply('ERR lease-fill: ARGV[3] must be the TTL in whole milliseconds (0 for none)')
end

if redis.call('GET', KEYS[1]) ~= MARKER .. token then
  return 0
end
if ttlMs > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ttlMs)
else
  -- a SET without expiry also drops the lease's expiry
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
