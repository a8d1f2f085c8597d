"""A small local Azure Functions host for development, tests and benchmarks (tooling, not deployed)."""
