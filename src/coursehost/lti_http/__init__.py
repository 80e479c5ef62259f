"""LTI HTTP adapters on the service origin (issue 19): one module per part, each with its router."""
