# syntax=docker/dockerfile:1
# Shushang API image. Expects DATABASE_URL (postgresql://…); runs as a non-root user.
#   docker build -t shushang .
#   docker run -e DATABASE_URL=postgresql://user:pass@db:5432/shushang -p 8000:8000 shushang

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/shushang
# The service's own dependencies (pyproject's), at the versions requirements.lock pins: the
# lock pins the development tools too (pytest, mypy, playwright…), which stay out.
COPY requirements.lock pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime.txt \
    && /opt/shushang/bin/pip install -c requirements.lock -r runtime.txt
COPY README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN /opt/shushang/bin/pip install --no-deps . && /opt/shushang/bin/pip check

FROM python:3.11-slim AS runtime
ENV PATH=/opt/shushang/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SHUSHANG_HOST=0.0.0.0 \
    SHUSHANG_PORT=8000 \
    SHUSHANG_EMBEDDED_DATABASE=false \
    SHUSHANG_DATA_DIR=/var/lib/shushang
RUN groupadd --system shushang \
    && useradd --system --gid shushang --home-dir /var/lib/shushang --create-home shushang
COPY --from=build /opt/shushang /opt/shushang
USER shushang
WORKDIR /var/lib/shushang
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SHUSHANG_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["shushang"]
CMD ["serve"]
