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


def paginate_method(server, values, method, args=(), kw=None, start=None, order=None,
                    default_order=None, data_name='data', prefix=None, page_size=PAGE,
                    count=True, opts_arg='queryOpts'):
    """Call a hub method with queryOpts (or the keyword opts_arg names: repo.queryQueue
    takes `opts`); `count=False` skips the countOnly call (the total is then only known on
    the last page)."""
    kw = dict(kw or {})
    start = _int(start)
    order = check_order(order, default_order)
    opts = {'offset': start, 'limit': page_size}
    if order:
        opts['order'] = order
    if count:
        # the page and its count in one round trip
        mc = server.multicall()
        call = getattr(mc, method)
        data = call(*args, **dict(kw, **{opts_arg: opts}))
        total = call(*args, **dict(kw, **{opts_arg: {'countOnly': True}}))
        mc.call_all(strict=True)
        data, total = data.result, total.result
    else:
        data = getattr(server, method)(*args, **dict(kw, **{opts_arg: opts}))
        total = start + len(data) if len(data) < page_size else None
    _set(values, prefix, data_name, start, order, len(data), total, page_size)
    values[data_name] = data
    return data


def paginate_results(server, values, method, args=(), kw=None, start=None, order=None,
                     default_order=None, data_name='data', prefix=None, page_size=PAGE):
    """countAndFilterResults(method, ...) for hub calls without queryOpts."""
    start = _int(start)
    order = check_order(order, default_order)
    filter_opts = {'offset': start, 'limit': page_size, 'order': order}
    total, data = server.countAndFilterResults(method, *args, filterOpts=filter_opts,
                                               **(kw or {}))
    _set(values, prefix, data_name, start, order, len(data), total, page_size)
    values[data_name] = data
    return data


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
