# diplobot in a container: `docker build -t diplobot .`, then see compose.yaml or README ("Deployment").
# The database lives on the /data volume; secrets come only from the environment (never baked in here).
# PYTHON_IMAGE may name another Python 3.11+ image with python3, venv and useradd (a mirror, a pinned digest).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The program goes into a virtual environment owned by root: the bot's user can run it but not change it.
# pip is upgraded first: an old pip cannot resolve trafilatura's lxml extra.
COPY . /tmp/diplobot-src
RUN python3 -m venv /opt/diplobot \
    && /opt/diplobot/bin/python -m pip install -q -U pip \
    && /opt/diplobot/bin/pip install -q /tmp/diplobot-src \
    && rm -rf /tmp/diplobot-src \
    && groupadd --system --gid 10001 diplobot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin diplobot \
    && mkdir -p /data \
    && chown diplobot:diplobot /data \
    && chmod 0700 /data
ENV PATH=/opt/diplobot/bin:$PATH

# Everything the bot keeps is in /data: the database (DIPLOBOT_DB) and, if you put one there, diplobot.toml
# (read from the working folder). The ops listener serves /healthz and /metrics inside the container.
ENV DIPLOBOT_DB=/data/diplobot.db \
    DIPLOBOT_OPS_LISTEN=0.0.0.0:9108
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 9108

# Unhealthy when the database, the scheduler or a platform is down (/healthz answers 503) or nothing answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"]

# SIGTERM (docker stop) stops the bot cleanly; give it `docker stop -t 30` or compose's stop_grace_period.
# A container has no terminal, so no console chat: Telegram and/or Slack come from DIPLOBOT_* tokens.
ENTRYPOINT ["diplobot"]
CMD ["run", "--no-console"]
