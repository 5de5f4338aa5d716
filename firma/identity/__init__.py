"""Identity evidence: ID photos, faces, the liveness challenge and the optional face match."""
