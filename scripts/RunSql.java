import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs SQL statements on the private MariaDB where no mariadb client is installed (scripts/servers.sh sql).
 * Address and login come from SQL_URL, SQL_USER and SQL_PASSWORD; the statements are the argument, separated
 * by semicolons. Result rows are printed tab-separated under a header line, as `mariadb -e` does off a terminal.
 */
public class RunSql {

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java -cp <mariadb-java-client.jar> RunSql.java \"STATEMENT; ...\"");
            System.exit(2);
        }
        try (Connection connection = DriverManager.getConnection(
                System.getenv("SQL_URL"), System.getenv("SQL_USER"), System.getenv("SQL_PASSWORD"));
                Statement statement = connection.createStatement()) {
            for (String sql : args[0].split(";")) {
                if (!sql.isBlank() && statement.execute(sql)) {
                    print(statement.getResultSet());
                }
            }
        } catch (java.sql.SQLException e) {
            System.err.println("ERROR " + e.getErrorCode() + ": " + e.getMessage());
            System.exit(1);
        }
    }

    private static void print(ResultSet rows) throws java.sql.SQLException {
        ResultSetMetaData meta = rows.getMetaData();
        List<String> cells = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            cells.add(meta.getColumnLabel(i));
        }
        System.out.println(String.join("\t", cells));
        while (rows.next()) {
            cells.clear();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                String value = rows.getString(i);
                cells.add(value == null ? "NULL" : value);
            }
            System.out.println(String.join("\t", cells));
        }
    }
}
