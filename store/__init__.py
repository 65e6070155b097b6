"""The only place SQL lives: schema, migrations and queries."""
