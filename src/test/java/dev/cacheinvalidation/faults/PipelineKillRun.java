package dev.cacheinvalidation.faults;

import static dev.cacheinvalidation.faults.FaultInjectionHarness.log;

import java.util.Random;

import dev.cacheinvalidation.faults.FaultInjectionHarness.Scenario;

/** (a) The pipeline is killed with SIGKILL several times while the workload runs, and started again each time. */
final class PipelineKillRun extends ScenarioRun {

    PipelineKillRun(FaultInjectionHarness harness, int changes, Random random) {
        super(harness, Scenario.PIPELINE_KILL, changes, random);
    }

    @Override
    void injectFault() throws Exception {
        int kills = options.kills;
        long[] at = new long[kills];
        for (int i = 0; i < kills; i++) {
            at[i] = threshold(i, kills);
        }
        workload.holdAt(at[0]);
        startWorkload();
        for (int i = 0; i < kills; i++) {
            awaitProgress(at[i]);
            workload.release();
            Thread.sleep(random.nextInt(300));
            long committed = workload.committedChanges();
            pipeline.kill9();
            pipeline.start();
            long faultEnd = System.nanoTime();
            int ended = workload.endedTransactions();
            if (i + 1 < kills) {
                workload.holdAt(at[i + 1]);
            }
            long recovery = measureRecovery(faultEnd, ended, false);
            recoveries.add(recovery);
            log(label + ": kill " + (i + 1) + "/" + kills + " after " + committed + " committed changes, recovered in "
                    + recovery + " ms");
        }
        awaitWorkload();
    }
}
