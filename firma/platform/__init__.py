"""Plumbing every area uses: jobs, the after-commit outbox, storage, outbound HTTP, tokens, errors."""
