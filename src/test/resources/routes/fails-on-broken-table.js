// Loaded after the application's scripts: a batch holding a change of app.broken fails, every other batch is
// handed to the application's processBatch unchanged.
const processWorkingBatch = processBatch;

processBatch = function (events) {
  if (events.some(event => event.table === 'app.broken')) {
    throw new Error('cannot handle app.broken');
  }
  return processWorkingBatch(events);
};
