"""Platform-neutral commands, alerts and digests that return Reply objects."""
