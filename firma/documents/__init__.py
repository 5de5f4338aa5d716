"""Documents: the variable catalogue, the one sandbox, contexts, PDF rendering, previews, templates."""
