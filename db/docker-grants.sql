-- CDC user for the Docker Compose setup (MySQL 8.4). Runs after app-schema.sql.
CREATE USER IF NOT EXISTS 'cdc'@'%' IDENTIFIED BY 'cdc-secret';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cdc'@'%';
GRANT ALL PRIVILEGES ON app.* TO 'cdc'@'%';
FLUSH PRIVILEGES;
