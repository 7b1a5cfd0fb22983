"""Batching hub calls into ``multiCall`` requests (the new-style multicall API).

``session.multicall(strict=False, batch=None)`` returns a :class:`MultiCallSession`; method
calls on it only queue :class:`VirtualCall` objects, which get their values once the batch
is sent (``call_all()`` or leaving the ``with`` block).
"""
import weakref

from koji.args import encode_args
from koji.exceptions import Fault, GenericError, MultiCallNotReady, convertFault

_PENDING = object()


def decode_multicall_entry(entry):
    """Return the value of one multiCall result entry, raising the fault it carries.

    The hub answers each queued call with either a one-element list (success) or a
    struct holding ``faultCode``/``faultString`` (failure).
    """
    if isinstance(entry, dict):
        fault = Fault(entry.get('faultCode', 1), entry.get('faultString', ''))
        raise convertFault(fault)
    if isinstance(entry, (list, tuple)) and len(entry) == 1:
        return entry[0]
    raise GenericError('unexpected multicall result entry: %r' % (entry,))


def first_fault(results):
    """Return the converted exception of the first fault entry in results, or None."""
    for entry in results:
        if isinstance(entry, dict):
            try:
                decode_multicall_entry(entry)
            except Exception as err:
                return err
    return None


def split_batches(calls, batch):
    """Split calls into lists of at most ``batch`` items (one list if batch is falsy)."""
    if not batch or batch <= 0:
        return [calls]
    return [calls[i:i + batch] for i in range(0, len(calls), batch)]


class VirtualMethod(object):
    """Callable stand-in for a hub method; attribute access builds dotted names.

    ``session.host.getID`` is ``VirtualMethod(func, 'host').getID`` which calls
    ``func('host.getID', args, kwargs)``.
    """

    def __init__(self, func, name, session=None):
        self.__func = func
        self.__name = name
        self.__session = session

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return type(self)(self.__func, '%s.%s' % (self.__name, name), self.__session)

    def __call__(self, *args, **kwargs):
        return self.__func(self.__name, args, kwargs)

    @property
    def name(self):
        return self.__name

    def __repr__(self):
        return '<VirtualMethod %s>' % self.__name


class VirtualCall(object):
    """One call queued in a MultiCallSession; ``result`` is available after execution."""

    def __init__(self, method, args, kwargs):
        self.method = method
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self._result = _PENDING

    def format(self):
        """The ``{methodName, params}`` struct sent inside ``multiCall``."""
        return {'methodName': self.method, 'params': encode_args(*self.args, **self.kwargs)}

    @property
    def result(self):
        if self._result is _PENDING:
            raise MultiCallNotReady()
        return decode_multicall_entry(self._result)

    def __repr__(self):
        return '<VirtualCall %s(%r, %r)>' % (self.method, self.args, self.kwargs)


class MultiCallSession(object):
    """Queue calls made through attribute access and send them as ``multiCall`` batches."""

    def __init__(self, session, strict=False, batch=None):
        self._session = session
        self._strict = strict
        self._batch = batch
        self._calls = []

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return VirtualMethod(self._callMethod, name, self._session)

    def _callMethod(self, name, args, kwargs=None, retry=True):
        """Queue the call instead of sending it; the VirtualCall is filled by call_all."""
        call = VirtualCall(name, args, kwargs)
        self._calls.append(call)
        return call

    def callMethod(self, name, *args, **opts):
        return self._callMethod(name, args, opts)

    @property
    def multicall(self):
        """Always true: code checking ``session.multicall`` sees that calls are queued."""
        return True

    def call_all(self, strict=None, batch=None):
        """Send the queued calls and fill in their results.

        Returns the raw result entries in call order. With strict, the first fault is
        raised once every batch has been answered.
        """
        if strict is None:
            strict = self._strict
        if batch is None:
            batch = self._batch
        if self._session.multicall:
            raise GenericError('cannot run a MultiCallSession while the legacy '
                               'session.multicall flag is set')
        calls, self._calls = self._calls, []
        if not calls:
            return []
        results = []
        for group in split_batches(calls, batch):
            payload = [call.format() for call in group]
            answer = self._session._callMethod('multiCall', (payload,), {})
            if len(answer) != len(group):
                raise GenericError('multiCall returned %d results for %d calls'
                                   % (len(answer), len(group)))
            for call, entry in zip(group, answer):
                call._result = entry
            results.extend(answer)
        if strict:
            err = first_fault(results)
            if err is not None:
                raise err
        return results

    multiCall = call_all

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        if exc_type is None:
            self.call_all()
        return False


class MultiCallHack(object):
    """Value of ``session.multicall``: the legacy flag and the new-style factory in one.

    ``if session.multicall:`` tests the legacy queueing flag, while
    ``session.multicall(strict=..., batch=...)`` starts a MultiCallSession.
    """

    def __init__(self, session):
        self.value = False
        self.session = weakref.ref(session)

    def __bool__(self):
        return bool(self.value)

    def __call__(self, strict=False, batch=None):
        return MultiCallSession(self.session(), strict=strict, batch=batch)

    def __repr__(self):
        return '<MultiCallHack %r>' % (self.value,)
