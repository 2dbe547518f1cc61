-- Languages are packs now (docs/languages.md): an appointment's language is any pack's code
-- (`es`, `pt`, `pa`), no longer `en` or `fr` alone. The CHECK that held it to those two is
-- removed in place, as SQLite documents for dropping a CHECK constraint (the rows on disk do not
-- change): rebuilding the table would copy every appointment and recreate its indexes.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, ' CHECK (language IN (''en'', ''fr''))', '')
 WHERE type = 'table' AND name = 'appointments';
PRAGMA writable_schema = OFF;
-- `db::migrate` then moves the schema cookie, so that every connection reads the new definition.
