# Stand-in for python:3.11-slim-bookworm: Debian's Python 3.11 with venv, `python` on PATH.
# Local only (docker/local-images): the official image is the default everywhere else.
ARG BASE=altum-local/debian:bookworm
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python-is-python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# This machine reaches PyPI only through a TLS proxy whose CA is in its own bundle.
COPY ca-bundle.crt /usr/local/share/altum-local/ca-bundle.crt
ENV LANG=C.UTF-8 PIP_CERT=/usr/local/share/altum-local/ca-bundle.crt
CMD ["python3"]
