"""Paging and sorting as upstream: `start`/`order` (or `<prefix>Start`/`<prefix>Order`),
pages of 50, the order key checked before it reaches the hub."""
import re

import koji

PAGE = 50
_ORDER_RE = re.compile(r'^-?\w+$')


def _int(value, default=0):
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return default


def check_order(order, default):
    """The sort key, or a GenericError for anything but `[-]word`."""
    if order is None or order == '':
        return default
    if not isinstance(order, str) or not _ORDER_RE.match(order):
        raise koji.GenericError('Invalid order: %r' % (order,))
    return order


def _pages(start, count, total, rng):
    """Page numbers within 100 pages of the current one, plus every 100th."""
    current = start // rng
    last = (total - 1) // rng if total else 0
    out = []
    for page in range(0, last + 1):
        if abs(page - current) < 100 or page % 100 == 0:
            out.append(page)
    return current, out


def _set(values, prefix, data_name, start, order, count, total, rng):
    key = prefix or ''

    def name(suffix):
        return key + suffix if key else suffix[0].lower() + suffix[1:]
    values[name('Start')] = start
    values[name('Count')] = count
    values[name('Range')] = rng
    values[name('Order')] = order
    current, pages = _pages(start, count, total if total is not None else start + count,
                            rng)
    values[name('CurrentPage')] = current
    values[name('Pages')] = pages
    values['total' + data_name[0].upper() + data_name[1:]] = total


class Paged(object):
    """A paged list whose hub calls are queued in a multicall; finish() after call_all
    puts the page and its paging values into values."""

    def __init__(self, values, start, order, data_name, prefix, page_size):
        self.values = values
        self.start = start
        self.order = order
        self.data_name = data_name
        self.prefix = prefix
        self.page_size = page_size
        self.data = self.total = self.both = None

    def finish(self):
        if self.both is not None:
            total, data = self.both.result
        else:
            data = self.data.result
            if self.total is not None:
                total = self.total.result
            else:
                total = self.start + len(data) if len(data) < self.page_size else None
        _set(self.values, self.prefix, self.data_name, self.start, self.order, len(data),
             total, self.page_size)
        self.values[self.data_name] = data
        return data


def queue_method(mc, values, method, args=(), kw=None, start=None, order=None,
                 default_order=None, data_name='data', prefix=None, page_size=PAGE,
                 count=True, opts_arg='queryOpts'):
    """Queue a hub method's page (queryOpts, or the keyword opts_arg names: repo.queryQueue
    takes `opts`) and its count in the multicall mc; `count=False` skips the countOnly
    call (the total is then only known on the last page)."""
    kw = dict(kw or {})
    paged = Paged(values, _int(start), check_order(order, default_order), data_name, prefix,
                  page_size)
    opts = {'offset': paged.start, 'limit': page_size}
    if paged.order:
        opts['order'] = paged.order
    call = getattr(mc, method)
    paged.data = call(*args, **dict(kw, **{opts_arg: opts}))
    if count:
        paged.total = call(*args, **dict(kw, **{opts_arg: {'countOnly': True}}))
    return paged


def queue_results(mc, values, method, args=(), kw=None, start=None, order=None,
                  default_order=None, data_name='data', prefix=None, page_size=PAGE):
    """Queue countAndFilterResults(method, ...) (hub calls without queryOpts) in mc."""
    paged = Paged(values, _int(start), check_order(order, default_order), data_name, prefix,
                  page_size)
    filter_opts = {'offset': paged.start, 'limit': page_size, 'order': paged.order}
    paged.both = mc.countAndFilterResults(method, *args, filterOpts=filter_opts,
                                          **(kw or {}))
    return paged


def _now(server, queue, *args, **kw):
    mc = server.multicall()
    paged = queue(mc, *args, **kw)
    mc.call_all(strict=True)
    return paged.finish()


def paginate_method(server, values, method, **kw):
    """queue_method, called at once: the page and its count in one round trip."""
    return _now(server, queue_method, values, method, **kw)


def paginate_results(server, values, method, **kw):
    """queue_results, called at once."""
    return _now(server, queue_results, values, method, **kw)


def _sort_key(field):
    def key(item):
        value = item.get(field)
        return (value is None, value if value is not None else 0)
    return key


def paginate_list(values, data, start=None, order=None, default_order=None,
                  data_name='data', prefix=None, page_size=PAGE):
    """Sort and slice a list here (None sorts greatest)."""
    start = _int(start)
    order = check_order(order, default_order)
    if order:
        field = order.lstrip('-')
        try:
            data = sorted(data, key=_sort_key(field), reverse=order.startswith('-'))
        except TypeError:
            data = sorted(data, key=lambda i: str(i.get(field)),
                          reverse=order.startswith('-'))
    total = len(data)
    page = data[start:start + page_size]
    _set(values, prefix, data_name, start, order, len(page), total, page_size)
    values[data_name] = page
    return page
