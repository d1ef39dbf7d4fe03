// Table changes: TRUNCATE or DROP TABLE of a captured table (op "t", no row) emptied the table, so every key
// built from its rows goes. Loaded after cache-keys.js (script.file), it hands the row changes to the
// processBatch defined there, unchanged, and names the keys of table changes itself.
// Keys with * are patterns, which the worker deletes by SCAN.
const TABLE_KEYS = {
  users: ['user:*'],
  products: ['product:*', 'category:*:products'],
  orders: ['order:*', 'user:*:orders'],
  inventory: ['inventory:*', 'product:*:stock']
};

function invalidateTable(event) {
  const keys = TABLE_KEYS[event.table.split('.')[1]] || [];
  // no row: the keys travel on before, where a delete puts them
  event.before = { _cache_keys: keys, _invalidation_strategy: 'immediate' };
  event.tags = (event.tags || []).concat(['cache:invalidate', 'strategy:immediate', `keys:${keys.length}`]);
  return event;
}

const processRowChanges = processBatch;

// the row changes between two table changes go to the original processBatch together, in order
processBatch = function (events) {
  if (!events.some(event => event.op === 't')) return processRowChanges(events);
  const out = [];
  let rows = [];
  const flushRows = () => {
    if (rows.length > 0) out.push(...processRowChanges(rows));
    rows = [];
  };
  for (const event of events) {
    if (event.op === 't') {
      flushRows();
      out.push(invalidateTable(event));
    } else {
      rows.push(event);
    }
  }
  flushRows();
  return out;
};
