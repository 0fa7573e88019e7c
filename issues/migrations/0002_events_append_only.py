"""The database itself refuses to rewrite the timeline: UPDATE and DELETE of issue events fail.

On SQLite only UPDATE is refused, because the test runner empties tables with DELETE there;
PostgreSQL empties them with TRUNCATE, which row triggers do not see, so DELETE is refused too.
"""
from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION issues_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'issue events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER issues_event_no_update BEFORE UPDATE OR DELETE ON issues_issueevent
    FOR EACH ROW EXECUTE FUNCTION issues_event_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS issues_event_no_update ON issues_issueevent;
DROP FUNCTION IF EXISTS issues_event_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER issues_event_no_update BEFORE UPDATE ON issues_issueevent
BEGIN
    SELECT RAISE(ABORT, 'issue events are append-only');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS issues_event_no_update;"


def up(apps, schema_editor):
    sql = {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def down(apps, schema_editor):
    sql = {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
