package dev.cacheinvalidation.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.JedisClientConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RedisAddressTest {

    @Test
    void hostAloneGetsDefaultPortDatabaseZeroAndNoCredentials() {
        RedisAddress address = RedisAddress.parse("redis://cache.internal");

        assertThat(address.host()).isEqualTo("cache.internal");
        assertThat(address.port()).isEqualTo(6379);
        assertThat(address.database()).isZero();
        assertThat(address.user()).isNull();
        assertThat(address.password()).isNull();
        assertThat(address.tls()).isFalse();
    }

    @Test
    void readsUserPasswordPortAndDatabase() {
        RedisAddress address = RedisAddress.parse("redis://worker:pw@cache.internal:6380/3");

        assertThat(address.user()).isEqualTo("worker");
        assertThat(address.password()).isEqualTo("pw");
        assertThat(address.port()).isEqualTo(6380);
        assertThat(address.database()).isEqualTo(3);
    }

    @Test
    void redissMeansTls() {
        assertThat(RedisAddress.parse("rediss://cache.internal:6380").tls()).isTrue();
    }

    @Test
    void percentEncodedPasswordIsDecoded() {
        assertThat(RedisAddress.parse("redis://worker:p%40ss%3Aw+rd@cache/0").password()).isEqualTo("p@ss:w+rd");
    }

    @Test
    void passwordWithEmptyUserHasNoUser() {
        RedisAddress address = RedisAddress.parse("redis://:pw@cache");

        assertThat(address.user()).isNull();
        assertThat(address.password()).isEqualTo("pw");
    }

    @Test
    void userInfoWithoutColonIsThePassword() {
        RedisAddress address = RedisAddress.parse("redis://pw@cache");

        assertThat(address.user()).isNull();
        assertThat(address.password()).isEqualTo("pw");
    }

    @Test
    void clientConfigCarriesCredentialsDatabaseAndTls() {
        JedisClientConfig config = RedisAddress.parse("rediss://worker:pw@cache:6380/2").clientConfig(1500, "worker-1");

        assertThat(config.getUser()).isEqualTo("worker");
        assertThat(config.getPassword()).isEqualTo("pw");
        assertThat(config.getDatabase()).isEqualTo(2);
        assertThat(config.isSsl()).isTrue();
        assertThat(config.getSocketTimeoutMillis()).isEqualTo(1500);
        assertThat(config.getClientName()).isEqualTo("worker-1");
    }

    @Test
    void hostAndPortForJedis() {
        assertThat(RedisAddress.parse("redis://cache:6390").hostAndPort().toString()).isEqualTo("cache:6390");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"  "})
    void missingUriSaysHowToSetIt(String value) {
        assertThatThrownBy(() -> RedisAddress.parse(value)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("REDIS_URI")
                .hasMessageContaining("not set");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://worker:topsecret@cache:6379",
        "redis:///0",
        "redis://worker:top secret@cache",
        "redis://worker:topsecret@cache/orders",
        "redis://worker:top@secret@cache",
        "cache:6379"
    })
    void malformedUriIsAConfigurationErrorNamingRedisUri(String value) {
        ConfigurationException error = catchThrowableOfType(ConfigurationException.class, () -> RedisAddress.parse(value));

        assertThat(error).isNotNull();
        assertThat(error.getMessage()).contains("REDIS_URI").doesNotContain("secret");
    }

    @Test
    void nonNumericDatabaseIsNamed() {
        assertThatThrownBy(() -> RedisAddress.parse("redis://cache/orders"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("database number")
                .hasMessageContaining("/orders");
    }

    @Test
    void wrongSchemeNamesTheAcceptedOnes() {
        assertThatThrownBy(() -> RedisAddress.parse("http://cache:6379"))
                .hasMessageContaining("redis://").hasMessageContaining("rediss://");
    }

    @Test
    void redactedHidesThePassword() {
        RedisAddress address = RedisAddress.parse("rediss://worker:topsecret@cache:6380/2");

        assertThat(address.redacted()).isEqualTo("rediss://worker:***@cache:6380/2");
        assertThat(address.toString()).doesNotContain("topsecret").isEqualTo(address.redacted());
    }

    @Test
    void redactedHidesAPasswordGivenWithoutUser() {
        RedisAddress address = RedisAddress.parse("redis://topsecret@cache");

        assertThat(address.toString()).doesNotContain("topsecret").contains("***");
    }

    @Test
    void redactedWithoutCredentialsIsThePlainAddress() {
        assertThat(RedisAddress.parse("redis://cache").redacted()).isEqualTo("redis://cache:6379/0");
    }

    @Test
    void commaSeparatedSeedNodesAreAllKept() {
        RedisAddress address = RedisAddress.parse("redis://:pw@node-a:7000,node-b:7001,node-c");

        assertThat(address.nodes()).extracting(Object::toString).containsExactly("node-a:7000", "node-b:7001", "node-c:6379");
        assertThat(address.password()).isEqualTo("pw");
        assertThat(address.isSentinel()).isFalse();
        assertThat(address.redacted()).isEqualTo("redis://:***@node-a:7000,node-b:7001,node-c:6379/0");
    }

    @Test
    void sentinelUriNamesTheSentinelsTheDatabaseAndTheMaster() {
        RedisAddress address = RedisAddress.parse("redis-sentinel://worker:topsecret@s1:26379,s2:26380,s3/2#cache-master");

        assertThat(address.isSentinel()).isTrue();
        assertThat(address.sentinelMaster()).isEqualTo("cache-master");
        assertThat(address.nodes()).extracting(Object::toString).containsExactly("s1:26379", "s2:26380", "s3:26379");
        assertThat(address.database()).isEqualTo(2);
        assertThat(address.user()).isEqualTo("worker");
        assertThat(address.redacted()).isEqualTo("redis-sentinel://worker:***@s1:26379,s2:26380,s3:26379/2#cache-master")
                .doesNotContain("topsecret");
    }

    @Test
    void ipv6AddressesInBrackets() {
        RedisAddress address = RedisAddress.parse("redis://[::1]:7000,[::1]:7001");

        assertThat(address.nodes()).extracting(node -> node.getHost()).containsExactly("::1", "::1");
        assertThat(address.nodes()).extracting(node -> node.getPort()).containsExactly(7000, 7001);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "redis-sentinel://s1:26379",
        "redis-sentinel://s1:26379/0#",
        "redis://cache:6379#master",
        "redis://cache:notaport",
        "redis://cache:6379,:6380",
        "redis://worker:topsecret@cache:99999"
    })
    void malformedTopologyUrisAreConfigurationErrorsNamingTheSetting(String value) {
        ConfigurationException error = catchThrowableOfType(ConfigurationException.class,
                () -> RedisAddress.parse(value, "CACHE_URI"));

        assertThat(error).isNotNull();
        assertThat(error.getMessage()).contains("CACHE_URI").doesNotContain("topsecret");
    }
}
