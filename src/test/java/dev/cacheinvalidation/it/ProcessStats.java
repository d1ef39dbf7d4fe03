package dev.cacheinvalidation.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** What Linux's /proc says about a process: CPU seconds, per thread too, and peak resident memory. */
public final class ProcessStats {

    /** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcessStats() {
    }

    /** CPU time (user + system) the process has used so far, in seconds; -1 when unknown (it ended, say). */
    public static double cpuSeconds(long pid) {
        try {
            return cpuSecondsOfStat(Files.readString(Path.of("/proc/" + pid + "/stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU seconds per thread so far, grouped by the (15-character) native thread name with digits folded, the
     * largest first: shows the JIT compiler and GC threads too, which a Java profiler does not sample.
     */
    public static String cpuByThread(long pid, int limit) {
        Map<String, Double> byName = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "N");
                    byName.merge(name, cpuSecondsOfStat(stat), Double::sum);
                } catch (IOException | RuntimeException e) {
                    // thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return "?";
        }
        return byName.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(limit)
                .map(e -> String.format(Locale.ROOT, "%s %.1f s", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
    }

    /** Peak resident set size so far (VmHWM), in kB; 0 when unknown. */
    public static long peakRssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone already
        }
        return 0;
    }

    private static double cpuSecondsOfStat(String stat) {
        // fields 14 and 15 of stat (utime, stime), counted from the state field (3) after the command's ')'
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
    }
}
