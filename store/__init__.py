"""DuckDB store: connection, versioned migrations, typed records, upserts and queries."""
