"""The catalog: its typed model, value types, rules, loading and published JSON Schema."""
