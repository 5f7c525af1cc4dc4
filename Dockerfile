# The project image: the pinned official Airflow image, the pinned requirements and this project, so every Airflow
# service of docker-compose.yaml (api-server, scheduler, dag-processor, triggerer, workers) runs the same code with
# the same libraries (Great Expectations, pandas, pyarrow, the Celery provider, ...). Build: docker compose build.
FROM apache/airflow:3.3.2-python3.11

# requirements.txt pins apache-airflow==3.3.2 itself, so installing it cannot move Airflow or its providers away from
# what `make lock` resolved; --no-deps keeps pip from resolving again on top of the lock.
COPY --chown=airflow:0 requirements.txt /opt/airflow/requirements.txt
RUN pip install --no-cache-dir --no-deps -r /opt/airflow/requirements.txt

COPY --chown=airflow:0 pyproject.toml /opt/airflow/pyproject.toml
COPY --chown=airflow:0 include /opt/airflow/include
COPY --chown=airflow:0 expectations /opt/airflow/expectations
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
# Editable, so the package resolves to /opt/airflow/include: the one copy, which docker-compose.yaml may overlay
# read-only with the working tree during development.
RUN pip install --no-cache-dir --no-deps -e /opt/airflow

ENV PYTHONPATH=/opt/airflow \
    GX_ANALYTICS_ENABLED=false \
    AIRFLOW__CORE__LOAD_EXAMPLES=false
