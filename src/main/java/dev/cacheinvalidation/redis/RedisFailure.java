package dev.cacheinvalidation.redis;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * What went wrong with Redis, in one line for the log and readiness: the client's own message, except where a
 * TLS problem hides under a connection error, which gets the fix named.
 */
public final class RedisFailure {

    private RedisFailure() {
    }

    public static String describe(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SSLHandshakeException || t instanceof CertificateException
                    || t instanceof CertPathValidatorException) {
                return "TLS to Redis failed: the server's certificate is not trusted or does not name the host: add its"
                        + " certificate authority to the JVM's truststore (-Djavax.net.ssl.trustStore=FILE"
                        + " -Djavax.net.ssl.trustStorePassword=...)";
            }
            if (t instanceof SSLException) {
                return "TLS to Redis failed (" + t.getMessage() + "): is the port a TLS port (rediss://) and the"
                        + " server's TLS set up?";
            }
        }
        return failure.getMessage();
    }
}
