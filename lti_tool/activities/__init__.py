"""Activity kinds: the registry and the page a launch lands on.

Adding a kind = one package that calls `registry.register(ActivityKind(...))`.
"""
