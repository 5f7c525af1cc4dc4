-- The pipeline reads the store through a read-only account. docker-compose creates it with MARIADB_USER, and the
-- image's entrypoint grants that user ALL on MARIADB_DATABASE before running this file: take every privilege back
-- (global, database, table and column level) and grant only what reading needs.
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'pipeline_ro'@'%';
GRANT SELECT, SHOW VIEW ON `magento`.* TO 'pipeline_ro'@'%';
FLUSH PRIVILEGES;
