"""count(methodName, ...) without building the rows, for the calls that can count in SQL.

count() normally runs the call and measures its result; for a listing of tens of thousands
of builds that is the whole cost of the call for one number.  A call listed in COUNTABLE
takes the request (take_count_request) before it runs anything else, counts in SQL and
answers with a CountResult, which count() turns into the number.
"""
from koji.context import context

COUNTABLE = ('listTagged',)


class CountResult(object):
    """The number of records a call would have returned."""

    def __init__(self, number):
        self.number = number


def request_count(method):
    """Ask the next run of method (if it can) for its count only."""
    context.count_request = method if method in COUNTABLE else None


def take_count_request(method):
    """True (once) when count() asked this method for its count only."""
    if getattr(context, 'count_request', None) == method:
        context.count_request = None
        return True
    return False


def clear_count_request():
    context.count_request = None
