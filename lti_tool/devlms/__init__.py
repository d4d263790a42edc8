"""A small but real LTI 1.3 platform for the demo and the tests (never in production)."""
