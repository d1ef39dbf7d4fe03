import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Runs one command on the private Redis where no redis-cli is installed (scripts/servers.sh redis), with the JDK
 * alone: {@code java scripts/RedisCommand.java PORT COMMAND [ARG...]}. The reply is printed as redis-cli prints it
 * off a terminal (one line per value, an empty line for nil); an error reply goes to stderr with exit status 1.
 */
public class RedisCommand {

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: java scripts/RedisCommand.java PORT COMMAND [ARG...]");
            System.exit(2);
        }
        try (Socket socket = connect(Integer.parseInt(args[0]))) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request(args).getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (!printReply(new BufferedInputStream(socket.getInputStream()))) {
                System.exit(1);
            }
        }
    }

    private static Socket connect(int port) {
        try {
            return new Socket("127.0.0.1", port);
        } catch (IOException e) {
            System.err.println("no Redis on 127.0.0.1:" + port + ": " + e.getMessage());
            System.exit(1);
            return null;
        }
    }

    /** The command as a protocol array of bulk strings (the arguments after the port). */
    private static String request(String[] args) {
        StringBuilder request = new StringBuilder("*").append(args.length - 1).append("\r\n");
        for (int i = 1; i < args.length; i++) {
            request.append('$').append(args[i].getBytes(StandardCharsets.UTF_8).length).append("\r\n")
                    .append(args[i]).append("\r\n");
        }
        return request.toString();
    }

    /** Prints one reply, the elements of an array each in turn; false after an error reply. */
    private static boolean printReply(InputStream in) throws IOException {
        String line = readLine(in);
        String value = line.substring(1);
        switch (line.charAt(0)) {
            case '+', ':' -> System.out.println(value);
            case '-' -> {
                System.err.println(value);
                return false;
            }
            case '$' -> {
                int length = Integer.parseInt(value);
                if (length < 0) {
                    System.out.println();
                } else {
                    System.out.println(new String(in.readNBytes(length), StandardCharsets.UTF_8));
                    readLine(in);
                }
            }
            case '*' -> {
                boolean ok = true;
                for (int i = 0; i < Integer.parseInt(value); i++) {
                    ok &= printReply(in);
                }
                return ok;
            }
            default -> throw new IOException("not a Redis reply: " + line);
        }
        return true;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("the connection closed mid-reply");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
