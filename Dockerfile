# One build for every Grove process. Two targets:
#   docker build -t grove:0.1.0 .                              # `grove operator`, `grove scheduler`, ...
#   docker build --target grove-initc -t grove-initc:0.1.0 .   # the startup waiter injected into pods
# The waiter's container gets only `args` (`--podcliques=NAME:COUNT ...`) from the operator, so its
# image must start the waiter itself; it runs `python -m grove.initc`, which imports little (fast start).
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m build --wheel --outdir /dist

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm -f /tmp/*.whl \
    && useradd --uid 65532 --no-create-home --shell /usr/sbin/nologin nonroot
USER 65532:65532

FROM runtime AS grove-initc
ENTRYPOINT ["python", "-m", "grove.initc"]
CMD []

FROM runtime AS grove
ENTRYPOINT ["grove"]
CMD ["--help"]
