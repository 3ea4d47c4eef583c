-- +goose Up
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at TEXT NOT NULL, what TEXT NOT NULL);
-- +goose StatementBegin
CREATE TRIGGER notes_audit AFTER INSERT ON notes BEGIN
  INSERT INTO audit_log (at, what) VALUES (datetime('now'), 'note ' || NEW.id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER notes_audit;
DROP TABLE audit_log;
