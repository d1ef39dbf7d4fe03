package dev.cacheinvalidation.faults;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What one scenario found. {@link #passed()} only when no required key is left, no control key was deleted, every
 * committed change reached the stream, nothing was dead-lettered and the pipeline caught up.
 *
 * @param scenario             scenario label, e.g. {@code a-pipeline-kill9x5}
 * @param changes              row changes whose COMMIT succeeded (or that were found committed after a failed one)
 * @param transactions         transactions committed
 * @param keysToDelete         primary cache keys of the rows the committed changes touched (all pre-set)
 * @param stillPresent         of those, keys still in Redis at the end: lost invalidations
 * @param controlKeys          keys of rows never touched (pre-set too)
 * @param controlDeleted       of those, keys deleted: spurious invalidations
 * @param streamMissing        committed changes that never appeared in the stream (a loss even if another change
 *                             of the same row deleted the key)
 * @param streamUnexpected     changes in the stream the workload did not count as committed
 * @param streamEntries        entries in the scenario's stream
 * @param duplicateDeliveries  entries whose (source.file, source.pos, source.row, table) an earlier entry had
 * @param deadLetters          entries in the dead-letter stream (keys never deleted by a worker)
 * @param unknownCommits       COMMITs that failed with an unknown outcome (resolved by looking at the rows)
 * @param excludedChanges      changes of transactions whose outcome could not be told, left out of both key sets
 * @param faults               faults injected
 * @param recoveriesMs         time to recover from each fault, -1 when it did not within the limit
 * @param unexpectedExits      application processes that exited by themselves (and were restarted)
 * @param caughtUp             the final marker change reached the stream and the group drained within the limits
 * @param durationMs           wall time of the scenario, setup and checks included
 * @param extra                scenario specific facts, {@code key=value} separated by blanks
 */
public record ScenarioResult(String scenario, long changes, int transactions, int keysToDelete, int stillPresent,
        int controlKeys, int controlDeleted, int streamMissing, int streamUnexpected, long streamEntries,
        long duplicateDeliveries, long deadLetters, int unknownCommits, int excludedChanges, int faults,
        List<Long> recoveriesMs, int unexpectedExits, boolean caughtUp, long durationMs, String extra) {

    public boolean passed() {
        return stillPresent == 0 && controlDeleted == 0 && streamMissing == 0 && deadLetters == 0 && caughtUp
                && recoveriesMs.stream().allMatch(ms -> ms >= 0);
    }

    /** Longest time to recover, -1 if a fault was not recovered from. */
    public long recoveryMs() {
        return recoveriesMs.stream().anyMatch(ms -> ms < 0) ? -1
                : recoveriesMs.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** The one line the harness prints for the scenario. */
    public String line() {
        return "scenario=" + scenario + " changes=" + changes + " transactions=" + transactions + " keys_to_delete="
                + keysToDelete + " still_present=" + stillPresent + " control_keys=" + controlKeys + " control_deleted="
                + controlDeleted + " stream_entries=" + streamEntries + " stream_missing=" + streamMissing
                + " stream_unexpected=" + streamUnexpected + " duplicate_deliveries=" + duplicateDeliveries
                + " dead_letters=" + deadLetters + " unknown_commits=" + unknownCommits + " excluded_changes="
                + excludedChanges + " faults=" + faults + " recovery_ms=" + recoveryMs() + " recovery_ms_each="
                + recoveriesMs.stream().map(String::valueOf).collect(Collectors.joining(",")) + " unexpected_exits="
                + unexpectedExits + (extra.isBlank() ? "" : " " + extra.strip()) + " duration_ms=" + durationMs
                + " result=" + (passed() ? "PASS" : "FAIL");
    }
}
