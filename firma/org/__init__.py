"""The provider's own set-up: staff, integrations, parameters, branches and API tokens."""
