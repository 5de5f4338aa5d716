"""Signature requests: creation, lifecycle, links, sync, batches, history and the dashboard."""
