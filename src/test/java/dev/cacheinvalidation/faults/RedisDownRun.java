package dev.cacheinvalidation.faults;

import static dev.cacheinvalidation.faults.FaultInjectionHarness.GROUP;
import static dev.cacheinvalidation.faults.FaultInjectionHarness.log;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.faults.FaultInjectionHarness.Scenario;
import dev.cacheinvalidation.it.StreamProbe;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.params.ShutdownParams;
import redis.clients.jedis.resps.StreamGroupInfo;

/** (b) Redis is shut down mid-load and started again after a gap; the stream and the group must survive it. */
final class RedisDownRun extends ScenarioRun {

    RedisDownRun(FaultInjectionHarness harness, int changes, Random random) {
        super(harness, Scenario.REDIS_DOWN, changes, random);
    }

    @Override
    void injectFault() throws Exception {
        runToOneRandomPoint();
        long lengthBefore;
        String groupBefore;
        try (Jedis jedis = servers.redis()) {
            lengthBefore = jedis.xlen(stream);
            groupBefore = groupState(jedis);
        }
        log(label + ": shutting Redis down after " + workload.committedChanges() + " committed changes, "
                + lengthBefore + " stream entries");
        long down = shutDownRedis();
        long wakeUp = down + TimeUnit.MILLISECONDS.toNanos(options.redisGapMs);
        while (System.nanoTime() < wakeUp) {
            Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wakeUp - System.nanoTime())));
        }
        harness.servers("restart-redis");
        long faultEnd = System.nanoTime();
        int ended = workload.endedTransactions();
        extra.put("redis_down_ms", TimeUnit.NANOSECONDS.toMillis(faultEnd - down));
        try (Jedis jedis = servers.redis()) {
            long lengthAfter = jedis.xlen(stream);
            String groupAfter = groupState(jedis);
            boolean kept = lengthAfter >= lengthBefore && (groupBefore == null || groupAfter != null);
            extra.put("stream_kept", kept ? "yes" : "no");
            log(label + ": stream length " + lengthBefore + " -> " + lengthAfter + ", group " + groupBefore + " -> "
                    + groupAfter);
        }
        long recovery = measureRecovery(faultEnd, ended, false);
        recoveries.add(recovery);
        log(label + ": Redis back after " + extra.get("redis_down_ms") + " ms, recovered in " + recovery + " ms");
        awaitWorkload();
    }

    /** The group's last delivered id, entries read and pending entries, or null when there is no group. */
    String groupState(Jedis jedis) {
        StreamGroupInfo group = StreamProbe.group(jedis, stream, GROUP);
        return group == null ? null : "[last " + group.getLastDeliveredId() + ", read "
                + group.getGroupInfo().get("entries-read") + ", pending " + group.getPending() + "]";
    }

    /** SHUTDOWN (the append-only file is flushed), then waits until Redis refuses connections. */
    long shutDownRedis() throws InterruptedException {
        try (Jedis jedis = servers.redis()) {
            jedis.shutdown(ShutdownParams.shutdownParams().nosave());
        } catch (JedisConnectionException expected) {
            // the server closed the connection: it is going down
        }
        while (true) {
            try (Jedis jedis = servers.redis()) {
                jedis.ping();
            } catch (JedisConnectionException gone) {
                return System.nanoTime();
            }
            Thread.sleep(10);
        }
    }
}
