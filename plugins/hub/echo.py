"""Log every hub callback with its arguments (a debugging aid; failures never matter)."""
import logging

from koji.plugin import callback, callbacks, ignore_error

logger = logging.getLogger('koji.plugin.echo')


@callback(*list(callbacks.keys()))
@ignore_error
def echo(cbtype, *args, **kws):
    logger.info('Called the %s callback, args: %s; kws: %s', cbtype, str(args), str(kws))
