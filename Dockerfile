# Build stage: wheels for the pinned requirements.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements/base.txt requirements/base.txt
RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r requirements/base.txt

# Run stage: the virtualenv and the code, as an unprivileged user.
FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=propflow.settings DATA_DIR=/app/data HOST=0.0.0.0 PORT=8000
RUN useradd --system --create-home --uid 10001 propflow
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=propflow:propflow . .
# The image holds no key: collectstatic gets a throwaway one, and the server starts only when
# given SECRET_KEY (DEBUG is off unless set).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/data && chown propflow:propflow /app/data
USER propflow
EXPOSE 8000
CMD ["sh", "-c", "exec uvicorn propflow.asgi:application --host ${HOST} --port ${PORT} --lifespan on --no-access-log --ws-max-size 65536 --proxy-headers"]
