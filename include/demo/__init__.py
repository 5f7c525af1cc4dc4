"""The demo: the store generator, local Airflow helpers and the runner behind `make demo`."""
