package dev.cacheinvalidation.config;

import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class MysqlDsnTest {

    @Test
    void readsEveryPart() {
        MysqlDsn dsn = MysqlDsn.parse("mysql://app:pw@db.internal:3307/shop");

        assertThat(dsn.user()).isEqualTo("app");
        assertThat(dsn.password()).isEqualTo("pw");
        assertThat(dsn.host()).isEqualTo("db.internal");
        assertThat(dsn.port()).isEqualTo(3307);
        assertThat(dsn.database()).isEqualTo("shop");
        assertThat(dsn.declaredFlavor()).isEmpty();
    }

    @Test
    void portDefaultsTo3306() {
        assertThat(MysqlDsn.parse("mysql://app:pw@db.internal/shop").port()).isEqualTo(3306);
    }

    @Test
    void percentEncodedPasswordIsDecoded() {
        MysqlDsn dsn = MysqlDsn.parse("mysql://app:p%40ss%3Aw%2Frd%25@db/shop");

        assertThat(dsn.password()).isEqualTo("p@ss:w/rd%");
    }

    @Test
    void plusInThePasswordStaysAPlus() {
        assertThat(MysqlDsn.parse("mysql://app:a+b@db/shop").password()).isEqualTo("a+b");
    }

    @Test
    void percentEncodedUserIsDecoded() {
        assertThat(MysqlDsn.parse("mysql://r%C3%A9plica:pw@db/shop").user()).isEqualTo("réplica");
    }

    @Test
    void userWithoutPasswordHasAnEmptyPassword() {
        MysqlDsn dsn = MysqlDsn.parse("mysql://app@db/shop");

        assertThat(dsn.user()).isEqualTo("app");
        assertThat(dsn.password()).isEmpty();
    }

    @Test
    void mariadbSchemeDeclaresMariadb() {
        MysqlDsn dsn = MysqlDsn.parse("mariadb://app:pw@db/shop");

        assertThat(dsn.declaredFlavor()).isEqualTo(Optional.of(ServerFlavor.MARIADB));
        assertThat(dsn.redacted()).startsWith("mariadb://");
    }

    @Test
    void schemeIsCaseInsensitive() {
        assertThat(MysqlDsn.parse("MySQL://app:pw@db/shop").host()).isEqualTo("db");
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        assertThat(MysqlDsn.parse("  mysql://app:pw@db/shop\n").database()).isEqualTo("shop");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   "})
    void missingDsnSaysHowToSetIt(String value) {
        assertThatThrownBy(() -> MysqlDsn.parse(value)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("MYSQL_DSN")
                .hasMessageContaining("not set");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "postgres://app:topsecret@db/shop",
        "mysql://db/shop",
        "mysql:///shop",
        "mysql://app:top secret@db/shop",
        "db.internal:3306"
    })
    void malformedDsnIsAConfigurationErrorNamingMysqlDsn(String value) {
        assertThatThrownBy(() -> MysqlDsn.parse(value)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("MYSQL_DSN")
                .hasMessageNotContaining("topsecret")
                .hasMessageNotContaining("top secret");
    }

    @Test
    void wrongSchemeNamesTheAcceptedOnes() {
        assertThatThrownBy(() -> MysqlDsn.parse("postgres://app:pw@db/shop"))
                .hasMessageContaining("mysql://").hasMessageContaining("mariadb://");
    }

    @Test
    void missingUserIsNamed() {
        assertThatThrownBy(() -> MysqlDsn.parse("mysql://db/shop")).hasMessageContaining("no user");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "mysql://app:topsecret@db:notaport/shop",
        "mysql://app:top secret@db/shop",
        "mysql://app:top#secret@db/shop",
        "mysql://app:top@secret@db/shop"
    })
    void errorsNeverShowThePassword(String value) {
        ConfigurationException error = catchThrowableOfType(ConfigurationException.class, () -> MysqlDsn.parse(value));

        assertThat(error).isNotNull();
        assertThat(error.getMessage()).doesNotContain("secret");
    }

    @Test
    void redactedHidesThePassword() {
        MysqlDsn dsn = MysqlDsn.parse("mysql://app:topsecret@db.internal:3307/shop");

        assertThat(dsn.redacted()).isEqualTo("mysql://app:***@db.internal:3307/shop");
        assertThat(dsn.toString()).doesNotContain("topsecret").isEqualTo(dsn.redacted());
    }

    @Test
    void redactedHidesAnEncodedPasswordToo() {
        MysqlDsn dsn = MysqlDsn.parse("mysql://app:top%40secret@db/shop");

        assertThat(dsn.toString()).doesNotContain("secret");
        assertThat(new CdcSource(dsn, ServerFlavor.MYSQL).toString()).doesNotContain("secret");
    }

    // TLS

    @Test
    void sslModeOfTheQueryStringIsTheTlsModeAndShowsInTheRedactedForm() {
        MysqlDsn dsn = MysqlDsn.parse("mysql://cdc:secret@db.example.com:3306/app?sslMode=verify-ca");

        assertThat(dsn.tlsMode()).contains(TlsMode.VERIFY_CA);
        assertThat(dsn.database()).isEqualTo("app");
        assertThat(dsn.redacted()).isEqualTo("mysql://cdc:***@db.example.com:3306/app?sslMode=verify-ca");
    }

    @Test
    void withoutSslModeTheServersDefaultApplies() {
        assertThat(MysqlDsn.parse("mysql://cdc:secret@db:3306/app").tlsMode()).isEmpty();
    }

    @Test
    void eachTlsModeHasTheWordsOfEachConnector() {
        assertThat(TlsMode.VERIFY_FULL.connectorName(ServerFlavor.MARIADB)).isEqualTo("verify-full");
        assertThat(TlsMode.VERIFY_FULL.connectorName(ServerFlavor.MYSQL)).isEqualTo("verify_identity");
        assertThat(TlsMode.TRUST.connectorName(ServerFlavor.MYSQL)).isEqualTo("required");
        assertThat(TlsMode.DISABLE.mysqlJdbcName()).isEqualTo("DISABLED");
        assertThat(new CdcSource(MysqlDsn.parse("mysql://cdc:s@db:3306/app?sslMode=trust"), ServerFlavor.MARIADB)
                .property("sslMode")).isEqualTo("trust");
        assertThat(new CdcSource(MysqlDsn.parse("mysql://cdc:s@db:3306/app"), ServerFlavor.MARIADB)
                .property("sslMode")).isEqualTo("disable");
    }

    @ParameterizedTest
    @ValueSource(strings = { "mysql://cdc:s@db:3306/app?sslMode=sometimes", "mysql://cdc:s@db:3306/app?useSSL=true",
            "mysql://cdc:s@db:3306/app?sslMode" })
    void anUnknownOptionOrTlsModeIsAConfigurationErrorNamingTheChoices(String dsn) {
        assertThatThrownBy(() -> MysqlDsn.parse(dsn)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("MYSQL_DSN").hasMessageContaining("verify-ca");
    }
}
