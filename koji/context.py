"""Per-thread request state shared by the hub code (opts, db connection, session, event)."""
import threading


class ThreadLocal(threading.local):
    """Attribute bag that is private to each thread (one request per thread in the hub)."""

    def _threadclear(self):
        self.__dict__.clear()


context = ThreadLocal()
