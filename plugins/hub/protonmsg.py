"""Announce hub events on an AMQP 1.0 message bus (qpid-proton).

The post* callbacks only queue a message on the request context; the postCommit callback
sends them once the transaction is committed, so nothing is announced for a call that
failed.  Messages that cannot be delivered go to the ``proton_queue`` table when the
[queue] is enabled, and a later request that delivered its own messages sends them on.

Settings: protonmsg.conf ([broker], [message], [queue]); it is read on first use.
"""
import json
import logging
import os
import random

from proton import Message, SSLDomain
from proton.handlers import MessagingHandler
from proton.reactor import Container

import koji
from koji.context import context
from koji.plugin import callback, convert_datetime, ignore_error
from kojihub import get_build_type
from kojihub.db import DeleteProcessor, InsertProcessor, QueryProcessor, db_lock

CONFIG_DIR = os.environ.get('KOJI_HUB_PLUGIN_CONFIG_DIR', '/etc/koji-hub/plugins')
CONFIG_FILE = os.path.join(CONFIG_DIR, 'protonmsg.conf')
CONFIG = None
LOG = logging.getLogger('koji.plugin.protonmsg')
DB_LOCK = 'protonmsg-plugin'


def get_config():
    """protonmsg.conf, read once (a missing file is an error)."""
    global CONFIG
    if CONFIG is None:
        CONFIG = koji.read_config_files([(CONFIG_FILE, True)])
    return CONFIG


def topic_prefix(conf):
    """The configured prefix as a topic address: '/topic/...' and 'topic://...' are kept,
    anything else gets 'topic://' in front."""
    prefix = conf.get('broker', 'topic_prefix')
    if prefix.startswith('/topic/') or prefix.startswith('topic://'):
        return prefix
    return 'topic://' + prefix


# -- messages ------------------------------------------------------------------------------


def json_serialize(value):
    """json.dumps fallback: sets become lists; anything else is reported in the message."""
    if isinstance(value, set):
        return list(value)
    LOG.error('Not JSON serializable data: %r', value)
    return {'error': "Can't serialize", 'type': str(type(value))}


def _strip_extra(buildinfo):
    """The build without 'extra' when that is longer (as JSON) than [message] extra_limit."""
    conf = get_config()
    if not conf.has_option('message', 'extra_limit'):
        return buildinfo
    limit = abs(conf.getint('message', 'extra_limit'))
    if not limit:
        return buildinfo
    size = len(json.dumps(buildinfo.get('extra', {}), default=json_serialize))
    if size <= limit:
        return buildinfo
    LOG.debug("Dropping 'extra' from build %s (length: %d > %d)", buildinfo.get('nvr'),
              size, limit)
    buildinfo = dict(buildinfo)
    del buildinfo['extra']
    return buildinfo


def queue_msg(address, props, data):
    """Keep a message for the postCommit send (address without the topic prefix)."""
    msgs = getattr(context, 'protonmsg_msgs', None)
    if msgs is None:
        msgs = context.protonmsg_msgs = []
    body = json.dumps(data, default=json_serialize)
    msgs.append({'address': address, 'props': props, 'body': body})


def _nvr_props(build):
    return {'name': build['name'], 'version': build['version'], 'release': build['release']}


@convert_datetime
@callback('postPackageListChange')
def prep_package_list_change(cbtype, *args, **kws):
    props = {'type': cbtype[4:], 'tag': kws['tag']['name'],
             'package': kws['package']['name'], 'action': kws['action'],
             'user': kws['user']['name']}
    queue_msg('package.' + kws['action'], props, kws)


@convert_datetime
@callback('postTaskStateChange')
def prep_task_state_change(cbtype, *args, **kws):
    if kws['attribute'] != 'state':
        return
    info = kws['info']
    props = {'type': cbtype[4:], 'id': info['id'], 'parent': info['parent'],
             'method': info['method'], 'attribute': kws['attribute'], 'old': kws['old'],
             'new': kws['new']}
    queue_msg('task.' + kws['new'].lower(), props, kws)


@convert_datetime
@callback('postBuildStateChange')
def prep_build_state_change(cbtype, *args, **kws):
    if kws['attribute'] != 'state':
        return
    old = kws['old']
    if old is not None:
        old = koji.BUILD_STATES[old]
    new = koji.BUILD_STATES[kws['new']]
    body = dict(kws)
    body['info'] = info = _strip_extra(kws['info'])
    body['btypes'] = get_build_type(info)
    props = {'type': cbtype[4:], 'attribute': kws['attribute'], 'old': old, 'new': new}
    props.update(_nvr_props(info))
    queue_msg('build.' + new.lower(), props, body)


@convert_datetime
@callback('postImport')
def prep_import(cbtype, *args, **kws):
    body = dict(kws)
    body['build'] = build = _strip_extra(kws['build'])
    props = {'type': cbtype[4:], 'importType': kws['type']}
    props.update(_nvr_props(build))
    queue_msg('import.' + kws['type'], props, body)


@convert_datetime
@callback('postRPMSign')
def prep_rpm_sign(cbtype, *args, **kws):
    if not kws['sigkey']:
        return
    body = dict(kws)
    body['build'] = build = _strip_extra(kws['build'])
    rpm = kws['rpm']
    props = {'type': cbtype[4:], 'sigkey': kws['sigkey']}
    props.update(_nvr_props(build))
    props.update({'rpm_name': rpm['name'], 'rpm_version': rpm['version'],
                  'rpm_release': rpm['release'], 'rpm_arch': rpm['arch']})
    queue_msg('sign.rpm', props, body)


def _prep_tag_msg(address, cbtype, kws):
    body = dict(kws)
    body['build'] = build = _strip_extra(kws['build'])
    props = {'type': cbtype[4:], 'tag': kws['tag']['name']}
    props.update(_nvr_props(build))
    props['user'] = kws['user']['name']
    queue_msg(address, props, body)


@convert_datetime
@callback('postTag')
def prep_tag(cbtype, *args, **kws):
    _prep_tag_msg('build.tag', cbtype, kws)


@convert_datetime
@callback('postUntag')
def prep_untag(cbtype, *args, **kws):
    _prep_tag_msg('build.untag', cbtype, kws)


@convert_datetime
@callback('postRepoInit')
def prep_repo_init(cbtype, *args, **kws):
    body = dict(kws)
    body['task_id'] = kws.get('task_id')
    props = {'type': cbtype[4:], 'tag': kws['tag']['name'], 'repo_id': kws['repo_id'],
             'task_id': body['task_id']}
    queue_msg('repo.init', props, body)


@convert_datetime
@callback('postRepoDone')
def prep_repo_done(cbtype, *args, **kws):
    body = dict(kws)
    body['task_id'] = kws.get('task_id')
    repo = kws['repo']
    props = {'type': cbtype[4:], 'tag': repo['tag_name'], 'repo_id': repo['id'],
             'task_id': repo['task_id'], 'expire': kws['expire']}
    queue_msg('repo.done', props, body)


@convert_datetime
@callback('postBuildPromote')
def prep_build_promote(cbtype, *args, **kws):
    body = dict(kws)
    body['build'] = build = _strip_extra(kws['build'])
    props = {'type': cbtype[4:], 'build_id': build['id']}
    props.update(_nvr_props(build))
    props.update({'draft_release': kws['draft_release'],
                  'target_release': kws['target_release'], 'user': kws['user']['name']})
    queue_msg('build.promote', props, body)


# -- sending -------------------------------------------------------------------------------


class TimeoutHandler(MessagingHandler):
    """Sends a list of messages over one connection, within the configured time limits.

    Settled messages are removed from ``msgs``; what is left was not delivered.
    """

    def __init__(self, url, msgs, conf, *args, **kws):
        super().__init__(*args, **kws)
        self.url = url
        self.msgs = msgs
        self.conf = conf
        self.pending = {}
        self.senders = {}
        self.connected = False
        self.connect_task = None
        self.timeout_task = None
        self.log = logging.getLogger('koji.plugin.protonmsg.TimeoutHandler')

    def _ssl_domain(self):
        if not (self.conf.has_option('broker', 'cert')
                and self.conf.has_option('broker', 'cacert')):
            return None
        cert = self.conf.get('broker', 'cert')
        domain = SSLDomain(SSLDomain.MODE_CLIENT)
        # one PEM file holds both the certificate and its key
        domain.set_credentials(cert, cert, None)
        domain.set_trusted_ca_db(self.conf.get('broker', 'cacert'))
        domain.set_peer_authentication(SSLDomain.VERIFY_PEER)
        return domain

    def on_start(self, event):
        self.log.debug('connecting to %s', self.url)
        event.container.connect(url=self.url, reconnect=False,
                                ssl_domain=self._ssl_domain())
        self.connect_task = event.container.schedule(
            self.conf.getint('broker', 'connect_timeout'), self)
        self.timeout_task = event.container.schedule(
            self.conf.getint('broker', 'send_timeout'), self)

    def _cancel_timers(self):
        for name in ('connect_task', 'timeout_task'):
            task = getattr(self, name)
            if task is not None:
                task.cancel()
                setattr(self, name, None)

    def on_timer_task(self, event):
        if not self.connected:
            self.log.error('not connected, stopping container')
        else:
            self.log.error('send timeout expired with %s messages unsent, stopping container',
                           len(self.msgs))
        self._cancel_timers()
        event.container.stop()

    def on_connection_opened(self, event):
        self.connected = True
        if self.connect_task is not None:
            self.connect_task.cancel()
            self.connect_task = None
        self.log.debug('connection to %s opened', self.url)
        self.send_msgs(event)

    def send_msgs(self, event):
        prefix = topic_prefix(self.conf)
        ttl = self.conf.getfloat('message', 'ttl', fallback=None)
        for msg in list(self.msgs):
            address = prefix + '.' + msg['address']
            sender = self.senders.get(address)
            if sender is None:
                sender = event.container.create_sender(event.connection, target=address)
                self.senders[address] = sender
            pmsg = Message(properties=msg['props'], body=msg['body'])
            if ttl:
                pmsg.ttl = ttl
            self.pending[sender.send(pmsg)] = msg
        if not self.pending:
            self._finish(event)

    def _finish(self, event):
        for sender in self.senders.values():
            sender.close()
        self._cancel_timers()
        event.connection.close()

    def _settle(self, event, delivered):
        msg = self.pending.pop(event.delivery)
        if delivered:
            self.msgs.remove(msg)
        if not self.pending:
            if self.msgs:
                self.log.error('%s messages unsent (rejected or released)', len(self.msgs))
            self._finish(event)

    def on_settled(self, event):
        self._settle(event, True)

    def on_rejected(self, event):
        self.log.error('message was rejected: %s', self.pending[event.delivery]['props'])
        self._settle(event, False)

    def on_released(self, event):
        self.log.error('message was released: %s', self.pending[event.delivery]['props'])
        self._settle(event, False)

    def on_transport_tail_closed(self, event):
        self._cancel_timers()


def _send_msgs(urls, msgs, conf):
    """Try the brokers in random order until every message is out; return the unsent."""
    urls = list(urls)
    random.shuffle(urls)
    for url in urls:
        try:
            Container(TimeoutHandler(url, msgs, conf)).run()
        except Exception as exc:
            # not fatal: what is left is queued or reported below
            LOG.debug('container setup error (%s): %s', url, exc)
        if not msgs:
            LOG.debug('all messages sent to %s successfully', url)
            return msgs
        LOG.debug('could not send to %s, %s messages remaining', url, len(msgs))
    LOG.error('could not send messages to any destinations')
    return msgs


def _test_mode_split(msgs, conf):
    """test_mode: nothing is sent; test_mode_fail percent of them count as failed."""
    chance = conf.getint('broker', 'test_mode_fail', fallback=0)
    unsent = [m for m in msgs if chance and random.randint(1, 100) <= chance]
    if unsent:
        LOG.info('simulating %i unsent messages', len(unsent))
    for msg in msgs:
        if msg not in unsent:
            LOG.debug('test mode: skipped msg: %r', msg)
    return unsent


# -- database queue ------------------------------------------------------------------------


def store_to_db(msgs):
    """Keep undelivered messages in proton_queue (a transaction of its own)."""
    try:
        for msg in msgs:
            insert = InsertProcessor(table='proton_queue')
            insert.set(address=msg['address'], props=json.dumps(msg['props']),
                       body=msg['body'])
            insert.execute()
        context.cnx.commit()
    except Exception:
        context.cnx.rollback()
        raise


def handle_db_msgs(urls, conf):
    """Send (and delete) up to batch_size queued messages; expired ones are dropped."""
    try:
        if not db_lock(DB_LOCK, wait=False):
            LOG.debug('skipping db queue due to lock')
            return
        max_age = conf.getint('queue', 'max_age', fallback=None)
        if not max_age:
            # 'age' is the older name of the option
            max_age = conf.getint('queue', 'age', fallback=24)
        DeleteProcessor(table='proton_queue',
                        clauses=["created_ts < NOW() - %(age)s::interval"],
                        values={'age': '%d hours' % max_age}).execute()
        limit = conf.getint('queue', 'batch_size', fallback=100)
        query = QueryProcessor(tables=['proton_queue'],
                               columns=['id', 'address', 'props', 'body::TEXT'],
                               aliases=['id', 'address', 'props', 'body'],
                               opts={'order': 'id', 'limit': limit})
        msgs = query.execute()
        if not msgs:
            return
        if conf.getboolean('broker', 'test_mode', fallback=False):
            LOG.debug('test mode: skipping send for %i messages from db', len(msgs))
            unsent = set()
        else:
            unsent = {m['id'] for m in _send_msgs(urls, list(msgs), conf)}
        sent = [m['id'] for m in msgs if m['id'] not in unsent]
        if sent:
            DeleteProcessor(table='proton_queue', clauses=['id = ANY(%(ids)s)'],
                            values={'ids': sent}).execute()
    finally:
        # ends the transaction and so frees the lock
        try:
            context.cnx.commit()
        except Exception:
            context.cnx.rollback()


@ignore_error
@convert_datetime
@callback('postCommit')
def send_queued_msgs(cbtype, *args, **kws):
    msgs = getattr(context, 'protonmsg_msgs', None)
    if not msgs:
        return
    context.protonmsg_msgs = []
    conf = get_config()
    urls = conf.get('broker', 'urls').split()
    if conf.getboolean('broker', 'test_mode', fallback=False):
        LOG.debug('test mode: skipping send to urls: %r', urls)
        unsent = _test_mode_split(msgs, conf)
    else:
        unsent = _send_msgs(urls, list(msgs), conf)
    if conf.getboolean('queue', 'enabled', fallback=False):
        if unsent:
            store_to_db(unsent)
        else:
            handle_db_msgs(urls, conf)
    elif unsent:
        LOG.error('could not send %i messages. db queue disabled', len(unsent))
