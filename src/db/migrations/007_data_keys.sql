-- A row's other columns (`appointments.data`: every column is a template placeholder)
-- were a JSON object per row, every column's name written again on every row: ~110 of a
-- mapped row's ~240 bytes of data. The names are the file's, so the import keeps them once
-- (a JSON array, in column order) and each row keeps its values (a JSON array in that order).
-- Rows stored before keep their objects; `db::appointments` reads both as the object.
ALTER TABLE imports ADD COLUMN data_keys TEXT;
