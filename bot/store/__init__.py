"""The state store: tables, queries, transactions, the engine and its migrations."""
