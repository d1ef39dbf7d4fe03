// read-through.js: read-through caching with the lease protocol, in Node with ioredis.
// The same two scripts as the Java LeasedCache (src/main/resources/lease/); ioredis runs them with EVALSHA
// and sends the script again when the server answers NOSCRIPT.
//
//   REDIS_URI=redis://localhost:6379 node read-through.js user:1
const fs = require('fs');
const path = require('path');
const Redis = require('ioredis');

const SCRIPTS = process.env.LEASE_SCRIPTS || path.join(__dirname, '..', '..', 'src', 'main', 'resources', 'lease');
const LEASE_MS = 5000;      // longer than the slowest database read, or that read's value is not stored
const TTL_MS = 0;           // no expiry: the invalidations keep the cache current
const BUSY_RETRIES = 3;     // another reader holds the lease: look again this often, then read without storing
const BUSY_WAIT_MS = 20;

const redis = new Redis(process.env.REDIS_URI);
redis.defineCommand('leaseGet', { numberOfKeys: 1, lua: fs.readFileSync(path.join(SCRIPTS, 'lease-get.lua'), 'utf8') });
redis.defineCommand('leaseFill', { numberOfKeys: 1, lua: fs.readFileSync(path.join(SCRIPTS, 'lease-fill.lua'), 'utf8') });

// The cached value of key, or load()'s, stored only if no invalidation deleted the key since the lease was taken.
async function get(key, load) {
  for (let attempt = 0; ; attempt++) {
    const [kind, payload] = await redis.leaseGet(key, LEASE_MS);
    if (kind === 'hit') return payload;
    if (kind === 'lease') {
      const value = await load();
      if (value !== null && value !== undefined) {
        const stored = await redis.leaseFill(key, payload, value, TTL_MS);
        if (stored === 0) console.log(`${key}: invalidated while loading, not stored`);
      }
      return value;
    }
    if (attempt >= BUSY_RETRIES) return load();   // busy: serve the database's value, leave the cache to the lease holder
    await new Promise(r => setTimeout(r, BUSY_WAIT_MS));
  }
}

// An example loader: the application's database query goes here.
async function loadFromDatabase(key) {
  await new Promise(r => setTimeout(r, 100));
  return JSON.stringify({ key, loadedAt: new Date().toISOString() });
}

async function main() {
  const key = process.argv[2] || 'user:1';
  console.log(`${key} = ${await get(key, () => loadFromDatabase(key))}`);
  console.log(`${key} = ${await get(key, () => loadFromDatabase(key))} (second read: from the cache)`);
  // the race: a lease taken, then the invalidation's DEL, then the fill of the old value is refused
  await redis.del(key);
  const [, token] = await redis.leaseGet(key, LEASE_MS);
  await redis.del(key);
  console.log(`fill after the delete: ${await redis.leaseFill(key, token, 'old value', TTL_MS)} (0: refused)`);
  redis.disconnect();
}

main().catch(e => { console.error(e); process.exit(1); });
