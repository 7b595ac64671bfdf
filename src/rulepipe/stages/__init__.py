"""Pipeline stages: each reads earlier artifacts and writes its own (one module per rule)."""
