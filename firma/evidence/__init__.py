"""What is kept as proof: the evidence store, the audit chain and the manifest."""
