"""Operator tools: health, metrics, logs, check --online, IAM policies, audit export and verify."""
