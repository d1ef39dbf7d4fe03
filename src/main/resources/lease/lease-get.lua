-- lease-get.lua: read a cache key, or take the lease to fill it.
--   KEYS[1] = cache key, ARGV[1] = lease time in milliseconds
-- Replies {"hit", value}, {"lease", token} (load from the database, then lease-fill with the token)
-- or {"busy", ""} (another caller holds the lease: load without filling, or retry shortly).
--
-- The lease lives in the key itself, as the value "\0lease:<token>" with the lease time as its expiry,
-- so a plain DEL or UNLINK of the key (the invalidation) revokes it, and the script touches one key only.
local MARKER = '\0lease:'

local leaseMs = tonumber(ARGV[1])
if not leaseMs or leaseMs < 1 or leaseMs ~= math.floor(leaseMs) then
  return redis.error_reply('ERR lease-get: ARGV[1] must be the lease time in whole milliseconds (at least 1)')
end

local value = redis.call('GET', KEYS[1])
if value then
  if string.sub(value, 1, #MARKER) == MARKER then
    return {'busy', ''}
  end
  return {'hit', value}
end

-- the server's clock in microseconds: a later lease on this key, after a delete, gets another token
local now = redis.call('TIME')
local token = now[1] .. string.format('%06d', tonumber(now[2]))
redis.call('SET', KEYS[1], MARKER .. token, 'PX', leaseMs)
return {'lease', token}
