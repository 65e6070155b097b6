"""Pure functions: topic queries and matcher, people and roles, name variants, story grouping."""
