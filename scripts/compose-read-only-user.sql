-- The pipeline reads the store through a read-only account (docker-compose creates it with MARIADB_USER).
REVOKE ALL PRIVILEGES ON *.* FROM 'pipeline_ro'@'%';
GRANT SELECT, SHOW VIEW ON magento.* TO 'pipeline_ro'@'%';
FLUSH PRIVILEGES;
