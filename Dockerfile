# The webhook service in a container: `python -m bot serve` on $PORT (8000), as a user
# without privileges. README, "Operating the bot" > "In a container".
#
#   docker build -t pypi-support-bot .
#   docker run --rm -p 8000:8000 --stop-timeout 30 \
#     -e GITHUB_WEBHOOK_SECRET=... -e GITHUB_TOKEN=... pypi-support-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin bot
# The shipped rules (BOT_RULES=rules.yaml, relative to /app); mount your own over it, or set
# BOT_RULES to a mounted file.
COPY rules.yaml ./

USER bot
EXPOSE 8000
# Python, not curl (the slim image has none): any answer but 200 fails the check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
# Exec form: the bot is PID 1 and gets SIGTERM itself, for its 25 s grace period (docker
# stop waits 10 s unless told otherwise: --stop-timeout 30, or stop_grace_period: 30s).
CMD ["python", "-m", "bot", "serve"]
