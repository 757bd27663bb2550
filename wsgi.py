"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

import gc

from app import create_app

app = create_app()
# What start-up built (modules, the app, its mappings and metadata: some 260,000 objects) lives
# as long as the process: moved out of the collector's generations, no collection walks it
# again. The statistics' heaviest views spend about a sixth less (bench/README.md).
gc.freeze()
