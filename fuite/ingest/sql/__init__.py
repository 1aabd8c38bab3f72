"""SQL: dumps (mysqldump, pg_dump, SQLite ``.dump``) split and parsed as text, and SQLite database files."""
