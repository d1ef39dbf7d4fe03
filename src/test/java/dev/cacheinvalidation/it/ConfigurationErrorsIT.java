package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import dev.cacheinvalidation.config.CdcSource;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.MysqlDsn;
import dev.cacheinvalidation.config.ServerFlavor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the startup check says about a database that cannot feed the pipeline, against a real server. */
class ConfigurationErrorsIT {

    private final TestServers servers = TestServers.local();

    @Test
    void aMariaDbBehindMysqlSchemeIsDetectedAndGetsTheMariaDbConnector() {
        CdcSource source = CdcSource.resolve(servers.mysqlDsn());
        assertThat(source.flavor()).isEqualTo(ServerFlavor.MARIADB);
        assertThat(source.property("connectorClass")).isEqualTo("io.debezium.connector.mariadb.MariaDbConnector");
        assertThat(CdcSource.resolve(servers.mysqlDsn().replace("mysql://", "mariadb://")).flavor())
                .isEqualTo(ServerFlavor.MARIADB);
    }

    @Test
    void aWrongPasswordNamesTheUserAndNotThePassword() {
        String dsn = servers.mysqlDsn().replace("cdc-secret", "Wrong-Secret-1");
        assertThatThrownBy(() -> CdcSource.resolve(dsn)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("refused user 'cdc'").hasMessageNotContaining("Wrong-Secret-1");
    }

    @Test
    void aServerThatIsNotListeningIsNamed() {
        MysqlDsn real = MysqlDsn.parse(servers.mysqlDsn());
        String dsn = "mysql://cdc:cdc-secret@127.0.0.1:1/app";
        assertThatThrownBy(() -> CdcSource.resolve(dsn)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("127.0.0.1:1").hasMessageContaining("reachable").hasMessageNotContaining("cdc-secret");
        assertThat(real.port()).isNotEqualTo(1);
    }

    @Test
    void aUserWithoutReplicationGrantsIsToldWhatToGrant() throws Exception {
        String user = "nogrants" + UUID.randomUUID().toString().substring(0, 6);
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.execute("CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw-123'");
            statement.execute("CREATE USER '" + user + "'@'localhost' IDENTIFIED BY 'pw-123'");
            statement.execute("GRANT SELECT ON app.* TO '" + user + "'@'%'");
            statement.execute("GRANT SELECT ON app.* TO '" + user + "'@'localhost'");
        }
        MysqlDsn real = MysqlDsn.parse(servers.mysqlDsn());
        String dsn = "mysql://" + user + ":pw-123@" + real.host() + ":" + real.port() + "/app";
        try {
            assertThatThrownBy(() -> CdcSource.resolve(dsn)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("lacks REPLICATION SLAVE").hasMessageContaining("GRANT");
        } finally {
            try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                statement.execute("DROP USER '" + user + "'@'%'");
                statement.execute("DROP USER '" + user + "'@'localhost'");
            }
        }
    }

    @Test
    void aBinlogNotInRowFormatIsRefused() throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.execute("SET GLOBAL binlog_format = 'STATEMENT'");
            try {
                assertThatThrownBy(() -> CdcSource.resolve(servers.mysqlDsn())).isInstanceOf(ConfigurationException.class)
                        .hasMessageContaining("binlog_format is STATEMENT").hasMessageContaining("binlog_format=ROW");
            } finally {
                statement.execute("SET GLOBAL binlog_format = 'ROW'");
            }
        }
    }

    @Test
    void aSettingOutOfItsBoundsStopsThePackagedJarWithOneLineNamingIt() throws Exception {
        try (AppProcess app = AppProcess.ofJar("pipeline").property("script.contexts", "0")
                .env(Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", servers.redisUri())).start()) {
            assertThat(app.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(app.lines("script.contexts")).containsExactly("cache-invalidation: configuration error:"
                    + " script.contexts = 0 is not allowed: a whole number of 1 or more");
            assertThat(app.output()).doesNotContain("Exception", "\tat ");
        }
    }

    @Test
    void aMissingOrMalformedDsnSaysWhatToWrite() {
        assertThatThrownBy(() -> CdcSource.resolve("")).hasMessageContaining("MYSQL_DSN is not set");
        assertThatThrownBy(() -> CdcSource.resolve("postgres://u:p@h/db")).hasMessageContaining("mysql://");
    }
}
