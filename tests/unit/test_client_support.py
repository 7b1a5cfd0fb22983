"""A small scripted XML-RPC hub for the ClientSession unit tests (no tests in here).

It runs a real HTTP server on 127.0.0.1 in a thread, records every request (headers,
query, decoded call) and answers from Python handlers, with enough of the hub's session,
callnum, multicall and upload rules to exercise the client. ``actions`` lets a test make
a request misbehave: drop the connection before or after handling, answer with an HTTP
error, a fault, a delay or a corrupted upload digest.
"""
import base64
import hashlib
import http.server
import itertools
import os
import ssl
import threading
import time
import urllib.parse
import xmlrpc.client
import zlib

from koji.xmlrpcplus import Fault, dumps

RETRY_OK = {'host.taskWait', 'host.taskUnwait', 'host.taskSetWait', 'host.updateHost',
            'host.setBuildRootState', 'repoExpire', 'repoDelete', 'repoProblem'}


class Record(object):
    """One request as the stub saw it."""

    def __init__(self, command, path, headers, body):
        self.command = command
        parts = urllib.parse.urlsplit(path)
        self.path = parts.path
        self.query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        self.headers = dict(headers.items())
        self.body = body
        self.method = None
        self.params = ()
        self.args = ()
        self.kwargs = {}
        self.session = None
        self.callnum = None
        self.dropped = False
        self.status = 200
        self.env = {}
        self.action = None

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def __repr__(self):
        return '<Record %s %r %r>' % (self.method, self.args, self.kwargs)


def split_kwargs(params):
    """Undo the __starstar convention (written here independently of koji.args)."""
    params = list(params)
    if params and isinstance(params[-1], dict) and params[-1].get('__starstar'):
        kwargs = dict(params.pop())
        del kwargs['__starstar']
        return tuple(params), kwargs
    return tuple(params), {}


class StubHub(object):
    """The scripted hub; handlers are ``func(record, *args, **kwargs)``."""

    def __init__(self, version='1.35.3', tls=None):
        self.version = version
        self.tls = tls
        self.requests = []
        self.actions = []
        self.sessions = {}
        self.users = {'alice': 'secret'}
        self.uploads = {}
        self.files = {}
        self.watch_env = ()
        self._ids = itertools.count(1)
        self.lock = threading.Lock()
        self.handlers = {
            'login': self._login,
            'sslLogin': self._ssl_login,
            'logout': self._logout,
            'subsession': self._subsession,
            'exclusiveSession': self._exclusive,
            'getKojiVersion': lambda rec: self.version or '1.35.3',
            'echo': lambda rec, *args, **kwargs: [list(args), kwargs],
            'checkUpload': self._check_upload,
            'uploadFile': self._upload_file,
            'downloadTaskOutput': self._download_task_output,
            'rawUpload': lambda rec: self.handle_raw_upload(rec, rec.action),
        }
        self.server = None
        self.thread = None

    # ---- test helpers --------------------------------------------------------------

    def start(self):
        hub = self

        class Handler(StubHandler):
            stub = hub

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        if self.tls:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d/kojihub' % self.server.server_address[1]

    def add_action(self, action, method=None, times=1):
        """Make the next ``times`` requests (for method, or any) misbehave."""
        for _ in range(times):
            self.actions.append((method, action))

    def calls(self, method=None):
        return [r for r in self.requests if method is None or r.method == method]

    def methods(self):
        return [r.method for r in self.requests]

    def expire(self, session_id):
        self.sessions[session_id]['expired'] = True

    # ---- request processing --------------------------------------------------------

    def _take_action(self, method):
        with self.lock:
            for i, (want, action) in enumerate(self.actions):
                if want is None or want == method:
                    del self.actions[i]
                    return action
        return None

    def process(self, rec):
        """Return ('fault'|'result', value) for a request, applying session rules."""
        sess = None
        sid = rec.header('Koji-Session-Id')
        key = rec.header('Koji-Session-Key')
        callnum = rec.header('Koji-Session-Callnum')
        if sid is None and 'session-id' in rec.query:
            sid, key = rec.query['session-id'], rec.query['session-key']
            callnum = rec.query.get('callnum')
        if sid is not None:
            sess = self.sessions.get(int(sid))
            if sess is None or sess['key'] != key or sess['closed']:
                return 'fault', Fault(1002, 'Invalid session or bad credentials')
            rec.session = sess
            if callnum is not None:
                rec.callnum = int(callnum)
                last = sess['callnum']
                if last is not None and rec.callnum < last:
                    return 'fault', Fault(1008, 'callnum %s < %s' % (rec.callnum, last))
                if last is not None and rec.callnum == last and rec.method not in RETRY_OK:
                    return 'fault', Fault(1009, 'unable to retry call %s' % rec.callnum)
            if sess['expired'] and rec.method not in ('login', 'sslLogin'):
                return 'fault', Fault(1007, 'session "%s" has expired' % sid)
        # like the hub: the callnum is stored first and rolled back with a fault, so a
        # renewal login can still reset it
        previous = sess['callnum'] if sess else None
        if sess is not None and rec.callnum is not None:
            sess['callnum'] = rec.callnum
        if rec.method == 'multiCall':
            result = [self._multi_entry(rec, call) for call in rec.args[0]]
        else:
            try:
                result = self.dispatch(rec, rec.method, rec.args, rec.kwargs)
            except Fault as fault:
                if sess is not None:
                    sess['callnum'] = previous
                return 'fault', fault
        return 'result', result

    def dispatch(self, rec, method, args, kwargs):
        handler = self.handlers.get(method)
        if handler is None:
            raise Fault(1000, 'Invalid method: %s' % method)
        try:
            return handler(rec, *args, **kwargs)
        except TypeError as err:
            raise Fault(1019, str(err))

    def _multi_entry(self, rec, call):
        args, kwargs = split_kwargs(call['params'])
        try:
            return [self.dispatch(rec, call['methodName'], args, kwargs)]
        except Fault as fault:
            return {'faultCode': fault.faultCode, 'faultString': fault.faultString,
                    'traceback': ['stub']}

    # ---- session handlers ----------------------------------------------------------

    def new_session(self, user, master=None):
        sid = next(self._ids)
        sinfo = {'session-id': sid, 'session-key': '%s-key%d' % (user, sid),
                 'header-auth': True}
        self.sessions[sid] = {'key': sinfo['session-key'], 'user': user, 'callnum': None,
                              'expired': False, 'closed': False, 'exclusive': False,
                              'master': master}
        return sinfo

    def _renew(self, rec, exclusive):
        sess = rec.session
        sid = [k for k, v in self.sessions.items() if v is sess][0]
        sess['key'] = '%s-renewed%d' % (sess['user'], next(self._ids))
        sess['expired'] = False
        sess['callnum'] = None
        if exclusive:
            sess['exclusive'] = True
        return {'session-id': sid, 'session-key': sess['key'], 'header-auth': True}

    def _login(self, rec, user, password, opts=None, renew=False, exclusive=False):
        if renew and rec.session:
            return self._renew(rec, exclusive)
        if rec.session:
            raise Fault(1002, 'Already logged in')
        if self.users.get(user) != password:
            raise Fault(1002, 'invalid username or password')
        return self.new_session(user)

    def _ssl_login(self, rec, proxyuser=None, proxyauthtype=None, renew=False,
                   exclusive=None):
        if renew and rec.session:
            return self._renew(rec, exclusive)
        user = rec.env.get('user')
        if not user:
            raise Fault(1002, 'could not verify client: NONE')
        return self.new_session(proxyuser or user)

    def _logout(self, rec, *args):
        if rec.session is None:
            raise Fault(1002, 'Not logged in')
        rec.session['closed'] = True
        return None

    def _subsession(self, rec):
        return self.new_session(rec.session['user'], master=rec.session)

    def _exclusive(self, rec, force=False):
        rec.session['exclusive'] = True
        return None

    # ---- uploads -------------------------------------------------------------------

    def handle_raw_upload(self, rec, action):
        if rec.session is None:
            raise Fault(1004, 'you must be logged-in to upload a file')
        q = rec.query
        key = (q.get('filepath', ''), q['filename'])
        offset = int(q.get('offset', 0))
        overwrite = bool(q.get('overwrite'))
        data = self.uploads.get(key)
        if data is not None and offset == 0 and not overwrite:
            raise Fault(1000, 'upload path exists: %s/%s' % key)
        if data is None:
            data = self.uploads[key] = bytearray()
        if overwrite:
            del data[offset:]
        if offset == -1:
            offset = len(data)
        if len(data) < offset:
            data.extend(b'\0' * (offset - len(data)))
        data[offset:offset + len(rec.body)] = rec.body
        if not overwrite and len(data) != offset + len(rec.body):
            raise Fault(1000, 'Incorrect upload length for %s/%s' % key)
        digest = '%08x' % (zlib.adler32(rec.body) & 0xffffffff)
        if action == 'corrupt':
            digest = '00000000'
        return {'size': len(rec.body), 'fileverify': q.get('fileverify', ''),
                'offset': offset, 'hexdigest': digest}

    def _check_upload(self, rec, path, name, verify=None, tail=None, volume=None):
        data = self.uploads.get((path, name))
        if data is None:
            return None
        info = {'size': len(data), 'mtime': time.time()}
        if verify:
            part = bytes(data[-tail:] if tail else data)
            info['sumlength'] = len(part)
            if verify == 'adler32':
                info['hexdigest'] = '%08x' % (zlib.adler32(part) & 0xffffffff)
            else:
                info['hexdigest'] = hashlib.new(verify, part).hexdigest()
        return info

    def _upload_file(self, rec, path, name, size, md5sum, offset, data, volume=None,
                     checksum=None):
        size, offset = int(size), int(offset)
        kind, digest = checksum or md5sum
        key = (path, name)
        if offset == -1:
            content = self.uploads.get(key, bytearray())
            del content[size:]
            return hashlib.new(kind, bytes(content)).hexdigest() == digest
        raw = base64.b64decode(data)
        if len(raw) != size or hashlib.new(kind, raw).hexdigest() != digest:
            return False
        if offset == 0 and key in self.uploads and not name.endswith('.log'):
            raise Fault(1000, 'file already exists: %s/%s' % key)
        content = self.uploads.setdefault(key, bytearray())
        content[offset:offset + size] = raw
        return True

    def _download_task_output(self, rec, task_id, name, offset=0, size=-1, volume=None):
        data = self.files['tasks/%s/%s' % (task_id, name)]
        end = None if size == -1 else offset + size
        return base64.b64encode(data[offset:end]).decode('ascii')


class StubHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    stub = None

    def log_message(self, fmt, *args):
        pass

    def _reply(self, status, body, ctype='text/xml'):
        self.send_response(status)
        if self.stub.version:
            self.send_header('Koji-Version', self.stub.version)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        stub = self.stub
        rec = Record('GET', self.path, self.headers, b'')
        stub.requests.append(rec)
        data = stub.files.get(rec.path)
        if data is None:
            self._reply(404, b'not found\n', 'text/plain')
        else:
            self._reply(200, data, 'application/octet-stream')

    def do_POST(self):
        stub = self.stub
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length)
        rec = Record('POST', self.path, self.headers, body)
        raw = self.headers.get('Content-Type') == 'application/octet-stream'
        if raw:
            rec.method = 'rawUpload'
        else:
            params, rec.method = xmlrpc.client.loads(body)
            rec.params = params
            rec.args, rec.kwargs = split_kwargs(params)
        if stub.tls is not None:
            cert = self.connection.getpeercert()
            if cert:
                rec.env['user'] = dict(x[0] for x in cert['subject'])['commonName']
            auth = self.headers.get('Authorization', '')
            if auth.startswith('Negotiate '):
                rec.env['user'] = auth.split(' ', 1)[1]
        rec.env.update({k: os.environ.get(k) for k in stub.watch_env})
        stub.requests.append(rec)
        action = stub._take_action(rec.method)
        if isinstance(action, tuple) and action[0] == 'sleep':
            time.sleep(action[1])
            action = None
        if action == 'drop':
            rec.dropped = True
            self.close_connection = True
            return
        if isinstance(action, tuple) and action[0] == 'status':
            rec.status = action[1]
            self._reply(action[1], b'stub error\n', 'text/plain')
            return
        if isinstance(action, tuple) and action[0] == 'fault':
            kind, value = 'fault', Fault(action[1], action[2])
        elif isinstance(action, tuple) and action[0] == 'result':
            kind, value = 'result', action[1]
        else:
            rec.action = action
            kind, value = stub.process(rec)
        if action == 'drop-after':
            rec.dropped = True
            self.close_connection = True
            return
        if kind == 'fault':
            out = dumps(value)
        else:
            out = dumps((value,), methodresponse=1, allow_none=1)
        self._reply(200, out.encode('utf-8'))


def make_tls_files(tmpdir):
    """Self-signed server and client certificates made with the openssl tool."""
    import subprocess
    paths = {}
    for who, cn in (('server', '127.0.0.1'), ('client', 'alice')):
        key = str(tmpdir / ('%s.key' % who))
        crt = str(tmpdir / ('%s.crt' % who))
        cmd = ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
               '-out', crt, '-days', '1', '-subj', '/CN=%s' % cn]
        if who == 'server':
            cmd += ['-addext', 'subjectAltName=IP:127.0.0.1']
        subprocess.run(cmd, check=True, capture_output=True)
        pem = str(tmpdir / ('%s.pem' % who))
        with open(pem, 'w') as out:
            for part in (crt, key):
                with open(part) as src:
                    out.write(src.read())
        paths[who] = {'key': key, 'crt': crt, 'pem': pem}
    return paths


def tls_context(paths):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(paths['server']['crt'], paths['server']['key'])
    ctx.load_verify_locations(paths['client']['crt'])
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx
