"""gunicorn settings for `peerpath run` (and `gunicorn -c config/gunicorn.conf.py 'lti_tool.wsgi:app'`).

Sync workers: measured steadier than gthread with keep-alive on this kind of machine.
"""

import os

bind = os.environ.get("PEERPATH_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("PEERPATH_WORKERS", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
# Behind a TLS proxy: the app trusts X-Forwarded-* only as far as PEERPATH_TRUSTED_PROXIES says.
forwarded_allow_ips = os.environ.get("PEERPATH_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("PEERPATH_ACCESS_LOG") or None
errorlog = "-"
