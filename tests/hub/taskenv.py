"""Shared set-up for the task system tests: users, build hosts and switching actors.

``taskenv`` (fixture) gives an Env: ``admin``/``alice``/``bob`` sessions, ``add_host()``
(a HOST user with an exclusive session, its host row, config and channels) and ``act()``
which ends the current simulated request (committing it) and starts one as someone else.
"""
import pytest

import koji
from koji.context import context
from tests.fixtures.auth import create_user_with, open_session, start_request


def sql(query, values=None):
    from kojihub.core import db
    return db._dml(query, values or {})


class Env(object):

    def __init__(self):
        self.sessions = {}
        self.users = {}
        for name, perms in (('tadmin', ['admin']), ('alice', []), ('bob', [])):
            self.users[name] = create_user_with(name, perms=perms)
            self.sessions[name] = open_session(name)
        self.hosts = {}

    def act(self, who, method='getLoggedInUser', callnum=None):
        """Finish the current request and start another as ``who`` (None = anonymous)."""
        sinfo = self.sessions[who] if who else None
        return start_request(method=method, sinfo=sinfo, callnum=callnum)

    def add_host(self, name, arches='x86_64', capacity=4.0, channels=('default',),
                 enabled=True):
        from kojihub.core import db
        user = create_user_with(name, usertype=koji.USERTYPES['HOST'])
        host_id = db.nextval('host_id_seq')
        db.InsertProcessor('host', data={'id': host_id, 'user_id': user['id'],
                                         'name': name}).execute()
        insert = db.InsertProcessor('host_config', data={
            'host_id': host_id, 'arches': arches, 'capacity': capacity, 'enabled': enabled})
        insert.make_create(user_id=user['id'])
        insert.execute()
        for channel in channels:
            channel_id = db.QueryProcessor(columns=['id'], tables=['channels'],
                                           clauses=['name = %(n)s'],
                                           values={'n': channel}).singleValue(strict=False)
            if channel_id is None:
                channel_id = db.nextval('channels_id_seq')
                db.InsertProcessor('channels', data={'id': channel_id,
                                                     'name': channel}).execute()
            insert = db.InsertProcessor('host_channels', data={'host_id': host_id,
                                                               'channel_id': channel_id})
            insert.make_create(user_id=user['id'])
            insert.execute()
        context.cnx.commit()
        sinfo = open_session(name)
        sql('UPDATE sessions SET "exclusive" = TRUE WHERE id = %(id)s',
            {'id': sinfo['session-id']})
        context.cnx.commit()
        context.commit_pending = False
        self.sessions[name] = sinfo
        self.hosts[name] = host_id
        return host_id

    def checkin(self, host, ready=True, load=0.0):
        from kojihub.tasks.host_calls import update_host
        self.act(host, 'host.updateHost')
        update_host(load, ready)


@pytest.fixture
def taskenv(hub_context, make_user):
    env = Env()
    start_request()
    return env
