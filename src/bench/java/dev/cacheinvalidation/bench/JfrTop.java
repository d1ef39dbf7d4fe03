package dev.cacheinvalidation.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a flight recording's CPU samples (jdk.ExecutionSample) are: by thread, by package of the top frame, top
 * frames (self) and frames anywhere on the stack (inclusive).
 * <p>
 * {@code JfrTop FILE.jfr [thread-name-regex]} (bench/run.sh jfr-top FILE.jfr).
 */
public final class JfrTop {

    public static void main(String[] args) throws Exception {
        String threadFilter = args.length > 1 ? args[1] : ".*";
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Integer> packages = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> waiting = new HashMap<>();
        int total = 0;
        int totalWaiting = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (event.getEventType().getName().equals("jdk.NativeMethodSample")) {
                String thread = event.getThread("sampledThread") == null ? "?" : event.getThread("sampledThread").getJavaName();
                RecordedStackTrace stack = event.getStackTrace();
                if (thread != null && thread.matches(threadFilter) && stack != null && !stack.getFrames().isEmpty()) {
                    totalWaiting++;
                    waiting.merge(thread.replaceAll("\\d+", "N") + " in " + firstOwnFrame(stack.getFrames()), 1, Integer::sum);
                }
                continue;
            }
            if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            String thread = event.getThread("sampledThread") == null ? "?" : event.getThread("sampledThread").getJavaName();
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || thread == null || !thread.matches(threadFilter)) {
                continue;
            }
            total++;
            threads.merge(thread.replaceAll("\\d+", "N"), 1, Integer::sum);
            List<RecordedFrame> frames = stack.getFrames();
            if (frames.isEmpty()) {
                continue;
            }
            self.merge(name(frames.get(0)), 1, Integer::sum);
            packages.merge(area(frames), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame frame : frames) {
                if (seen.add(name(frame))) {
                    inclusive.merge(name(frame), 1, Integer::sum);
                }
            }
        }
        System.out.printf("%d execution samples (threads matching %s)%n", total, threadFilter);
        print("by thread", threads, total, 12);
        print("by area of the top frame", packages, total, 15);
        print("top frames (self)", self, total, 25);
        print("anywhere on the stack (inclusive)", inclusive, total, 45);
        System.out.printf("%n%d native method samples (threads blocked in native code: sockets, polls)%n", totalWaiting);
        print("native samples by thread and first non-JDK frame", waiting, totalWaiting, 15);
    }

    /** The first frame outside the JDK, where a blocked thread's own code waits. */
    private static String firstOwnFrame(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            String type = frame.getMethod().getType().getName();
            if (!type.startsWith("java.") && !type.startsWith("sun.") && !type.startsWith("jdk.")) {
                return name(frame);
            }
        }
        return name(frames.get(0));
    }

    /** The package of the top frame, except that frames under GraalJS/Truffle or Jackson count as that library. */
    private static String area(List<RecordedFrame> frames) {
        Function<String, String> pkg = type -> {
            String[] parts = type.split("\\.");
            return String.join(".", java.util.Arrays.copyOf(parts, Math.min(3, parts.length - 1)));
        };
        for (RecordedFrame frame : frames) {
            String type = frame.getMethod().getType().getName();
            if (type.startsWith("com.oracle.truffle") || type.startsWith("org.graalvm")) {
                return "GraalJS/Truffle (interpreter)";
            }
        }
        return pkg.apply(frames.get(0).getMethod().getType().getName());
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static void print(String title, Map<String, Integer> counts, int total, int limit) {
        System.out.println();
        System.out.println("== " + title + " ==");
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(limit)
                .forEach(e -> System.out.printf("%6d %5.1f%%  %s%n", e.getValue(), 100.0 * e.getValue() / Math.max(1, total),
                        e.getKey()));
    }
}
