"""The census on Celery workers: the same units of work as the in-process runner, queued on a
Redis broker and run by ``census worker`` processes against one PostgreSQL database."""
