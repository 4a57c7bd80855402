"""sql/schema.sql says what the migrations build: the migrations applied to one scratch
database, schema.sql to another, and their tables, columns and indexes compared."""
import glob
import os
import re
import subprocess
import unittest

from bpg import ENV, ROOT, db

SQL_DIR = os.path.join(ROOT, "sql")
MIGRATED, DESCRIBED = "bpg_schema_migrated", "bpg_schema_described"

# What must match, per information_schema view (the column order within a table may differ:
# schema.sql groups columns by meaning, and no statement of ours depends on it).
VIEWS = {
    "tables": "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, TABLE_COMMENT FROM "
              "information_schema.TABLES WHERE TABLE_SCHEMA = '{db}' ORDER BY 1",
    "columns": "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, "
               "CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY, COLUMN_COMMENT FROM "
               "information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}' ORDER BY 1, 2",
    "indexes": "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, "
               "INDEX_TYPE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{db}' "
               "ORDER BY 1, 2, 4",
}


def mariadb(database, script):
    """Runs an SQL script as MariaDB's root on database; its rows as lists of fields."""
    out = subprocess.run(["mariadb", "--no-defaults", "-uroot", "--socket=" + ENV["MYSQL_SOCKET"],
                          "-N", "--batch", database], input=script, check=True,
                         capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def migrations():
    """The numbered migrations, in the order bpg-fcgi --migrate applies them."""
    return sorted(f for f in glob.glob(os.path.join(SQL_DIR, "*.sql"))
                  if re.fullmatch(r"\d{4}_.+\.sql", os.path.basename(f)))


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for name in (MIGRATED, DESCRIBED):
            db(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} "
               "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        for path in migrations():
            with open(path) as f:
                mariadb(MIGRATED, f.read())
        with open(os.path.join(SQL_DIR, "schema.sql")) as f:
            mariadb(DESCRIBED, f.read())

    @classmethod
    def tearDownClass(cls):
        db(f"DROP DATABASE IF EXISTS {MIGRATED}; DROP DATABASE IF EXISTS {DESCRIBED}")

    def compare(self, view):
        sql = VIEWS[view]
        migrated = mariadb(MIGRATED, sql.format(db=MIGRATED))
        described = mariadb(DESCRIBED, sql.format(db=DESCRIBED))
        self.assertTrue(migrated, f"the migrations built no {view}")
        self.assertEqual(described, migrated,
                         f"sql/schema.sql and the migrations differ in their {view}")

    def test_tables(self):
        self.compare("tables")

    def test_columns(self):
        self.compare("columns")

    def test_indexes(self):
        self.compare("indexes")

    def test_schema_is_not_a_migration(self):
        """The stack's database was migrated with bpg-fcgi --migrate: schema.sql is not one."""
        applied = db("SELECT version FROM schema_migrations ORDER BY version").split()
        self.assertEqual(applied, [os.path.basename(p)[:-4] for p in migrations()])


if __name__ == "__main__":
    unittest.main()
