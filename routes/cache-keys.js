// Cache keys for the application's tables: the processor of the seed pipeline, unchanged.
// processBatch(events) receives a batch of native events and returns the events to write to the stream.

function processBatch(events) {
  return events.map(event => {
    const keys = generateCacheKeys(event);
    const strategy = getStrategy(event);

    // Store cache keys in event.after metadata
    // (we can modify event.after since it's a JSON Value)
    if (event.after) {
      event.after._cache_keys = keys;
      event.after._invalidation_strategy = strategy;
    } else if (event.before) {
      // For deletes, add to before
      event.before._cache_keys = keys;
      event.before._invalidation_strategy = strategy;
    }

    // Add tags for routing/filtering
    event.tags = (event.tags || []).concat([
      'cache:invalidate',
      `strategy:${strategy}`,
      `keys:${keys.length}`
    ]);

    return event;
  });
}

function generateCacheKeys(event) {
  const table = event.table.split('.')[1];
  const keys = [];
  const record = event.after || event.before;

  if (!record || !record.id) return keys;

  const id = record.id;

  switch (table) {
    case 'users':
      keys.push(`user:${id}`);
      if (record.email) {
        keys.push(`user:email:${record.email}`);
      }
      // If email changed, invalidate old email key
      if (event.before && event.before.email &&
          event.before.email !== record.email) {
        keys.push(`user:email:${event.before.email}`);
      }
      keys.push(`user:${id}:orders`);
      keys.push(`user:${id}:profile`);
      break;

    case 'products':
      keys.push(`product:${id}`);
      keys.push(`product:${id}:details`);
      if (record.category_id) {
        keys.push(`category:${record.category_id}:products`);
      }
      break;

    case 'orders':
      keys.push(`order:${id}`);
      if (record.user_id) {
        keys.push(`user:${record.user_id}:orders`);
      }
      break;

    case 'inventory':
      keys.push(`inventory:${record.product_id}`);
      keys.push(`product:${record.product_id}:stock`);
      break;
  }

  return keys;
}

function getStrategy(event) {
  const table = event.table.split('.')[1];
  if (table === 'inventory') return 'immediate';
  if (event.op === 'd') return 'immediate';
  return 'batched';
}
