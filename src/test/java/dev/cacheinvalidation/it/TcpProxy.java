package dev.cacheinvalidation.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on a loopback port, standing in for the address a DSN names (a DNS name or a virtual IP): it forwards
 * to a target that can be moved ({@link #moveTo}, a failover); it can close every connection, open and new, while
 * it is {@link #closing} (a server going down), and refuse them while it is {@link #refusing} (nothing listens).
 */
public final class TcpProxy implements AutoCloseable {

    private final int port;
    private volatile ServerSocket server;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile int targetPort;
    private volatile boolean closing;
    private volatile int awayFrom = Integer.MAX_VALUE;
    private volatile boolean refuseWhenAway;

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.port = server.getLocalPort();
        listen(server);
    }

    private void listen(ServerSocket socket) {
        Thread acceptor = new Thread(() -> acceptLoop(socket), "tcp-proxy-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return port;
    }

    /** Connections accepted so far, forwarded or closed. */
    public int accepted() {
        return accepted.get();
    }

    /** New connections go to this port; open ones are closed, as when an address moves to another server. */
    public void moveTo(int port) {
        targetPort = port;
        closeOpen();
    }

    /**
     * From the {@code nth} connection on (counting those accepted so far), the server is away: that connection and
     * every later one is closed at once ({@code refuse} false) or the port stops listening ({@code refuse} true).
     */
    public void awayFrom(int nth, boolean refuse) {
        awayFrom = nth;
        refuseWhenAway = refuse;
    }

    /** The server is back: connections are forwarded again. */
    public void back() throws IOException {
        awayFrom = Integer.MAX_VALUE;
        if (closing) {
            closing(false);
        } else if (server.isClosed()) {
            refusing(false);
        }
    }

    /** While closing, every open connection is closed and every new one closed at once. */
    public void closing(boolean closeEverything) {
        closing = closeEverything;
        if (closeEverything) {
            closeOpen();
        }
    }

    /** While refusing, the port is not listened on and open connections are closed. */
    public void refusing(boolean refuse) throws IOException {
        if (refuse) {
            server.close();
            closeOpen();
        } else {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            server = socket;
            listen(socket);
        }
    }

    private void closeOpen() {
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        open.clear();
    }

    private void acceptLoop(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                if (accepted.incrementAndGet() >= awayFrom && !closing && !socket.isClosed()) {
                    if (refuseWhenAway) {
                        refusing(true);
                        closeQuietly(client);
                        return;
                    } else {
                        closing(true);
                    }
                }
                if (closing) {
                    closeQuietly(client);
                    continue;
                }
                Socket upstream;
                try {
                    upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                } catch (IOException refused) {
                    closeQuietly(client);
                    continue;
                }
                open.add(client);
                open.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException closed) {
                // either side went away: the other one goes too
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "tcp-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        closeOpen();
    }
}
