"""gunicorn settings: `gunicorn -c dashboard/gunicorn.conf.py dashboard.wsgi`.

Threaded workers, because a request may wait (without CPU) for another worker's upstream call;
the timeout outlives a DRS call with its retries (DRS_DEADLINE, 25 s). Every value can be
overridden from the environment.
"""

import os

# Loopback unless told otherwise: the TLS proxy in front is what the network talks to.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Must outlast the pages' 5 s polling, or the server closes idle connections just as the next
# poll arrives; behind a load balancer, keep it above the balancer's idle timeout.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "15"))
max_requests = 5000  # recycle workers now and then, so slow leaks never pile up
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Behind a proxy, also set DJANGO_SECURE_PROXY_SSL_HEADER=1 and list the proxy here.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
