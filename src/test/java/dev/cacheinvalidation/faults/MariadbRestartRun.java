package dev.cacheinvalidation.faults;

import static dev.cacheinvalidation.faults.FaultInjectionHarness.log;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.faults.FaultInjectionHarness.Scenario;

/** (c) MariaDB is restarted mid-load: the pipeline reconnects and reads on from its position. */
final class MariadbRestartRun extends ScenarioRun {

    MariadbRestartRun(FaultInjectionHarness harness, int changes, Random random) {
        super(harness, Scenario.MARIADB_RESTART, changes, random);
    }

    @Override
    void injectFault() throws Exception {
        runToOneRandomPoint();
        log(label + ": restarting MariaDB after " + workload.committedChanges() + " committed changes");
        long begin = System.nanoTime();
        harness.servers("restart-mariadb");
        long faultEnd = System.nanoTime();
        int ended = workload.endedTransactions();
        extra.put("mariadb_restart_ms", TimeUnit.NANOSECONDS.toMillis(faultEnd - begin));
        long recovery = measureRecovery(faultEnd, ended, false);
        recoveries.add(recovery);
        log(label + ": MariaDB back after " + extra.get("mariadb_restart_ms") + " ms, recovered in " + recovery
                + " ms");
        awaitWorkload();
    }
}
