# TelegramVault: one image for every role (bot, archiver, scheduler) — the role is a CLI flag.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data

RUN useradd --create-home --uid 10001 vault
WORKDIR /app

COPY pyproject.toml README.md ./
COPY core ./core
COPY services ./services
COPY bot ./bot
COPY telegramvault ./telegramvault
COPY benchmarks ./benchmarks
RUN pip install --no-compile . && mkdir -p /data && chown vault:vault /data

USER vault
VOLUME ["/data"]
ENTRYPOINT ["telegramvault"]
CMD ["run"]
