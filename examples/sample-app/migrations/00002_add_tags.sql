-- +goose Up
ALTER TABLE notes ADD COLUMN tags TEXT NOT NULL DEFAULT '';
CREATE INDEX notes_tags ON notes (tags);

-- +goose Down
DROP INDEX notes_tags;
ALTER TABLE notes DROP COLUMN tags;
