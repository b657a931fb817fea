"""The Slack surface: Block Kit builders for messages and views, action ids, the manifest."""
