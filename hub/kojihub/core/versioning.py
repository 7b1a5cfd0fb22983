"""Helpers for versioned tables (create_event / revoke_event / active).

Every getter that takes ``event`` uses ``eventCondition`` so that "as of event N" means the
same thing everywhere: a row is visible at N if it was created at or before N and not yet
revoked at N.
"""
import koji


def _check_event(event):
    # as upstream: any int (bools included) is an event id, anything else a GenericError
    if not isinstance(event, int):
        raise koji.GenericError('Invalid event: %r' % (event,))
    return int(event)


def eventCondition(event, table=None):
    """SQL condition selecting the rows of ``table`` that were active at ``event``.

    With event None the current (active) rows are selected. The event id is validated as
    an integer before it is written into the SQL text.
    """
    prefix = '%s.' % table if table else ''
    if event is None:
        return '%sactive = TRUE' % prefix
    event = _check_event(event)
    return ('%(p)screate_event <= %(e)d AND (%(p)srevoke_event IS NULL OR '
            '%(e)d < %(p)srevoke_event)' % {'p': prefix, 'e': event})
