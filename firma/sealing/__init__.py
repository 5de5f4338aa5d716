"""From evidence to a sealed PDF: assemble, seal (PAdES), finalise, verify."""
