package dev.cacheinvalidation.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SavedPositionCheckTest {

    @Test
    void aMariaDbServerWithTheGtidsReadSoFarCanContinue() {
        // the old primary itself, and a replica promoted after it had everything (log_slave_updates)
        assertThat(SavedPositionCheck.mariaDbRefusal("0-1-1500", "0-1-1500", "")).isNull();
        assertThat(SavedPositionCheck.mariaDbRefusal("0-1-1500", "0-1-1600,0-2-1700", "0-1-12")).isNull();
        // after a failover the saved position names both servers; the last of the domain counts
        assertThat(SavedPositionCheck.mariaDbRefusal("0-1-1500,0-2-1520", "0-1-1500,0-2-1600", "")).isNull();
    }

    @Test
    void aMariaDbServerWithAnotherHistoryIsRefused() {
        assertThat(SavedPositionCheck.mariaDbRefusal("0-1-1500", "0-3-9000", ""))
                .contains("no transaction of server 1 in domain 0").contains("another history");
        assertThat(SavedPositionCheck.mariaDbRefusal("0-1-1500", "", "")).contains("gtid_binlog_state empty");
    }

    @Test
    void aMariaDbReplicaPromotedBeforeItCaughtUpIsRefused() {
        assertThat(SavedPositionCheck.mariaDbRefusal("0-1-1500", "0-1-1400,0-2-1401", ""))
                .contains("ends at 0-1-1400").contains("lacks changes already read");
    }

    @Test
    void aMariaDbBinlogPurgedPastThePositionIsRefused() {
        assertThat(SavedPositionCheck.mariaDbRefusal("0-1-1500", "0-1-3000", "0-1-2000")).contains("purged");
        assertThat(SavedPositionCheck.mariaDbRefusal("0-1-1500", "0-1-3000", "0-1-1500")).isNull();
    }

    @Test
    void mySqlGtidsMustAllBeExecutedAndNoneUnreadPurged() {
        String uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        String other = "4e11fa47-71ca-11e1-9e33-c80aa9429562";
        assertThat(SavedPositionCheck.mysqlRefusal(uuid + ":1-100", uuid + ":1-200", uuid + ":1-50")).isNull();
        assertThat(SavedPositionCheck.mysqlRefusal(uuid + ":1-100", other + ":1-200", "")).contains("another history");
        assertThat(SavedPositionCheck.mysqlRefusal(uuid + ":1-100", uuid + ":1-90", "")).contains("not all executed");
        assertThat(SavedPositionCheck.mysqlRefusal(uuid + ":1-100", uuid + ":1-300", uuid + ":1-150")).contains("purged");
    }

    @Test
    void withoutGtidsTheSavedFileMustBeThere() {
        assertThat(SavedPositionCheck.fileRefusal("mysql-bin.000003", List.of("mysql-bin.000002", "mysql-bin.000003"))).isNull();
        assertThat(SavedPositionCheck.fileRefusal("mysql-bin.000001", List.of("mysql-bin.000002", "mysql-bin.000003")))
                .contains("mysql-bin.000002 to mysql-bin.000003").contains("purged");
    }

    @Test
    void nothingSavedIsNothingToCheck() {
        assertThat(SavedPositionCheck.refusal(Map.of(), "", true)).isEmpty();
    }

    @Test
    void theDatabaseIsTakenFromTheConnectorSettings() {
        MysqlDsn dsn = SavedPositionCheck.dsnOf(Map.of("connector.class", ServerFlavor.MARIADB.connectorClass(),
                "database.hostname", "db", "database.port", "3307", "database.user", "cdc", "database.password", "pw",
                "database.ssl.mode", "verify-ca"));
        assertThat(dsn.host()).isEqualTo("db");
        assertThat(dsn.port()).isEqualTo(3307);
        assertThat(dsn.declaredFlavor()).contains(ServerFlavor.MARIADB);
        assertThat(dsn.tlsMode()).contains(TlsMode.VERIFY_CA);
    }
}
