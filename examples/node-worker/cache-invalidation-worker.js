// cache-invalidation-worker.js
const Redis = require('ioredis');
const redis = new Redis(process.env.REDIS_URI);
const streamKey = 'cache:invalidations';
const consumerGroup = 'cache-workers';
const consumerId = `worker-${process.pid}`;
async function processInvalidations() {
try {
await redis.xgroup('CREATE', streamKey, consumerGroup, '0', 'MKSTREAM');
} catch (e) {
if (!e.message.includes('BUSYGROUP')) throw e;
}
console.log(`Starting cache invalidation worker: ${consumerId}`);
while (true) {
try {
const results = await redis.xreadgroup(
'GROUP', consumerGroup, consumerId,
'COUNT', 100, 'BLOCK', 5000,
'STREAMS', streamKey, '>'
);
if (!results) continue;
for (const [stream, messages] of results) {
for (const [id, fields] of messages) {
const event = JSON.parse(fields[1]);
await invalidateKeys(event);
await redis.xack(streamKey, consumerGroup, id);
}
}
} catch (error) {
console.error('Worker error:', error);
await new Promise(r => setTimeout(r, 1000));
}
}
}
async function invalidateKeys(event) {
// Get cache keys from the event payload
const record = event.after || event.before;
const cacheKeys = record?._cache_keys || [];
if (cacheKeys.length === 0) return;
for (const key of cacheKeys) {
if (key.includes('*')) {
await scanAndDelete(key);
} else {
await redis.del(key);
}
}
console.log(`Invalidated ${cacheKeys.length} keys for ${event.table}`);
}
async function scanAndDelete(pattern) {
let cursor = '0';
do {
const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 100);
cursor = nextCursor;
if (keys.length > 0) {
await redis.del(...keys);
}
} while (cursor !== '0');
}
processInvalidations().catch(console.error);
