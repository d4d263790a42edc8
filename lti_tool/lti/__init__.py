"""The LTI 1.3 protocol edge: login, launch, deep linking, registration, keys.

Turns a launch into (platform, user, context, resource link, roles); nothing below knows LTI.
"""
