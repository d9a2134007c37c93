# The pages are bundled from npm packages at build time; the running image fetches nothing.
FROM node:20-slim AS frontend
WORKDIR /src/web/frontend
COPY web/frontend/package.json web/frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/frontend ./
RUN npm run build

FROM python:3.11-slim
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 PATH=/app/.venv/bin:$PATH
WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project --no-dev
COPY geo geo
COPY grid grid
COPY dispatch dispatch
COPY web web
COPY --from=frontend /src/web/static web/static
RUN uv sync --frozen --no-dev
EXPOSE 8000
CMD ["gridops", "serve", "--host", "0.0.0.0", "--port", "8000"]
