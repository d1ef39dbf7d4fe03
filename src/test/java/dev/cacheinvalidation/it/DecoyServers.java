package dev.cacheinvalidation.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The decoys of the integration tests: the build runs them with MYSQL_DSN, REDIS_URI, CACHE_URI (and more a
 * developer's shell may export) pointing at loopback ports where these listeners count every connection, and fails
 * the test class during which any arrived. A test uses only servers it names; nothing of the environment may
 * reach a pipeline or worker it starts ({@code Application.sealFromProcess}, {@link AppProcess#sealed}).
 *
 * <p>Registered for every test class by JUnit's extension auto-detection; without {@code -Ddecoy.ports} (a test
 * run outside the build) it does nothing.
 */
public final class DecoyServers implements BeforeAllCallback, AfterAllCallback {

    /** The listeners, one set per test JVM: the build reserves their ports once for the whole run. */
    private static List<Decoy> decoys;

    private record Decoy(int port, AtomicInteger connections) {
    }

    private static synchronized List<Decoy> decoys() throws IOException {
        if (decoys == null) {
            decoys = new ArrayList<>();
            String ports = System.getProperty("decoy.ports", "");
            for (String port : ports.split(",")) {
                if (!port.isBlank()) {
                    decoys.add(listen(Integer.parseInt(port.trim())));
                }
            }
        }
        return decoys;
    }

    private static Decoy listen(int port) throws IOException {
        ServerSocket server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        Decoy decoy = new Decoy(port, new AtomicInteger());
        Thread accept = new Thread(() -> {
            while (true) {
                try (Socket ignored = server.accept()) {
                    decoy.connections.incrementAndGet();
                } catch (IOException e) {
                    return;
                }
            }
        }, "decoy-" + port);
        accept.setDaemon(true);
        accept.start();
        return decoy;
    }

    /** Connections each decoy has had so far, in the order of {@code decoy.ports}. */
    public static List<Integer> connections() throws IOException {
        return decoys().stream().map(decoy -> decoy.connections.get()).toList();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        context.getStore(ExtensionContext.Namespace.create(DecoyServers.class)).put("before", connections());
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        @SuppressWarnings("unchecked")
        List<Integer> before = (List<Integer>) context.getStore(ExtensionContext.Namespace.create(DecoyServers.class))
                .get("before");
        List<Integer> after = connections();
        for (int i = 0; i < after.size(); i++) {
            int reached = after.get(i) - before.get(i);
            if (reached > 0) {
                throw new AssertionError(reached + " connection(s) reached the decoy on 127.0.0.1:" + decoys.get(i).port
                        + " during " + context.getDisplayName() + ": a server of the test JVM's environment (MYSQL_DSN,"
                        + " REDIS_URI, CACHE_URI...) was used instead of one the test named");
            }
        }
    }
}
