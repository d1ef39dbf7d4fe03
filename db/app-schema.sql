-- Application schema for the cache-invalidation demo.
-- Works on MySQL 8.4 and MariaDB 10.11. Users and grants live elsewhere.

CREATE DATABASE IF NOT EXISTS app;
USE app;

-- Tables captured by the pipeline

CREATE TABLE IF NOT EXISTS users (
  id         INT NOT NULL AUTO_INCREMENT,
  email      VARCHAR(255) NOT NULL,
  name       VARCHAR(255) NULL,
  created_at DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS products (
  id          INT NOT NULL AUTO_INCREMENT,
  name        VARCHAR(255) NOT NULL,
  category_id INT NULL,
  price       DECIMAL(12,2) NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS orders (
  id      INT NOT NULL AUTO_INCREMENT,
  user_id INT NOT NULL,
  total   DECIMAL(12,2) NOT NULL DEFAULT 0,
  status  VARCHAR(32) NOT NULL DEFAULT 'new',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS inventory (
  id         INT NOT NULL AUTO_INCREMENT,
  product_id INT NOT NULL,
  quantity   INT NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Tables the pipeline does not capture

-- Not in the pipeline's table list.
CREATE TABLE IF NOT EXISTS audit_log (
  id      INT NOT NULL AUTO_INCREMENT,
  message VARCHAR(255) NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- No `id` column.
CREATE TABLE IF NOT EXISTS sessions (
  token   VARCHAR(64) NOT NULL,
  user_id INT NULL,
  PRIMARY KEY (token)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Sample rows (idempotent: re-running the file keeps existing rows)

INSERT IGNORE INTO users (id, email, name) VALUES
  (1, 'alice@example.com', 'Alice'),
  (2, 'bob@example.com', 'Bob');

INSERT IGNORE INTO products (id, name, category_id, price) VALUES
  (1, 'Widget', 10, 9.99),
  (2, 'Gadget', 10, 19.99);

INSERT IGNORE INTO orders (id, user_id, total, status) VALUES
  (1, 1, 9.99, 'new');

INSERT IGNORE INTO inventory (id, product_id, quantity) VALUES
  (1, 1, 5);
