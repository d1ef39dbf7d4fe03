package dev.cacheinvalidation.faults;

import static dev.cacheinvalidation.faults.FaultInjectionHarness.GROUP;
import static dev.cacheinvalidation.faults.FaultInjectionHarness.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cacheinvalidation.faults.FaultInjectionHarness.Scenario;
import dev.cacheinvalidation.it.StreamProbe;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamConsumerInfo;
import redis.clients.jedis.resps.StreamGroupInfo;

/**
 * (d) The stream is loaded first, then two workers drain it and one is killed with SIGKILL mid-drain; the other
 * must take its pending entries over.
 */
final class WorkerKillRun extends ScenarioRun {

    WorkerKillRun(FaultInjectionHarness harness, int changes, Random random) {
        super(harness, Scenario.WORKER_KILL, changes, random);
    }

    @Override
    void injectFault() throws Exception {
        startWorkload();
        awaitWorkload();
        mark("loaded");
        if (!awaitMarker("loaded", options.timeout)) {
            throw new IllegalStateException("the pipeline did not write the workload to the stream within "
                    + options.timeout);
        }
        long entries;
        try (Jedis jedis = servers.redis()) {
            entries = jedis.xlen(stream);
        }
        log(label + ": stream loaded with " + entries + " entries; starting two workers");
        ManagedProcess first = startWorker(1);
        ManagedProcess second = startWorker(2);
        double fraction = 0.2 + 0.4 * random.nextDouble();
        long target = Math.round(entries * fraction);
        long acked = 0;
        long deadline = System.nanoTime() + options.timeout.toNanos();
        while ((acked = acked(entries)) < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the workers did not drain " + target + " entries in time");
            }
            Thread.sleep(5);
        }
        ManagedProcess victim = victim(first, second);
        victim.kill9();
        long faultEnd = System.nanoTime();
        workers.remove(victim);
        ManagedProcess survivor = victim == first ? second : first;
        extra.put("killed_at_acked", acked + "/" + entries);
        long recovery = measureRecovery(faultEnd, workload.endedTransactions(), true);
        recoveries.add(recovery);
        long claimed = 0;
        Matcher m;
        for (String line : survivor.lines("took over")) {
            if ((m = Pattern.compile("took over (\\d+) entries").matcher(line)).find()) {
                claimed += Long.parseLong(m.group(1));
            }
        }
        extra.put("claimed_by_survivor", claimed);
        log(label + ": killed " + victim.label() + " at " + acked + "/" + entries + " acknowledged; the survivor took "
                + "over " + claimed + " entries; recovered in " + recovery + " ms");
    }

    /** Entries the group acknowledged so far. */
    long acked(long entries) {
        try (Jedis jedis = servers.redis()) {
            StreamGroupInfo group = StreamProbe.group(jedis, stream, GROUP);
            if (group != null) {
                return entries - StreamProbe.unread(jedis, stream, group) - group.getPending();
            }
        } catch (RuntimeException e) {
            // no stream or group yet
        }
        return 0;
    }

    /** The worker to kill: one holding pending entries, if any does. */
    ManagedProcess victim(ManagedProcess first, ManagedProcess second) {
        List<ManagedProcess> holding = new ArrayList<>();
        try (Jedis jedis = servers.redis()) {
            for (StreamConsumerInfo consumer : jedis.xinfoConsumers2(stream, GROUP)) {
                if (consumer.getPending() > 0) {
                    if (consumer.getName().equals(cdcName + "-worker-1")) {
                        holding.add(first);
                    } else if (consumer.getName().equals(cdcName + "-worker-2")) {
                        holding.add(second);
                    }
                }
            }
        }
        List<ManagedProcess> candidates = holding.isEmpty() ? List.of(first, second) : holding;
        return candidates.get(random.nextInt(candidates.size()));
    }
}
