"""Field-named views over the repo and repo_queue tables (upstream's RepoQuery and
RepoQueueQuery, used by repo.query, repo.queryQueue, repoInfo and the queue code).

Clauses are ``[field, op, value]`` (or ``[field, value]``); a join is added only when a
field, clause or order key needs it, so the default field sets read one table.
"""
import koji

from ..core.db import QueryProcessor

OPERATORS = ('IN', '=', '!=', '>', '<', '>=', '<=', 'IS', 'IS NOT', '@>', '<@')


class QueryView(object):
    """Base class: subclasses set tables, joinmap, fieldmap and default_fields."""

    tables = ()
    joinmap = {}
    fieldmap = {}
    default_fields = ()

    def __init__(self, clauses=None, fields=None, opts=None):
        self.clauses = clauses
        self.fields = fields
        self.opts = opts
        self._query = None

    def _map(self, field, joins):
        info = self.fieldmap.get(field) if isinstance(field, str) else None
        if info is None:
            raise koji.ParameterError(f'Invalid field for query {field}')
        column, joinkey = info
        if joinkey and joinkey not in joins:
            joins.append(joinkey)
        return column

    def _clauses(self, joins, values):
        result = []
        if self.clauses is not None and not isinstance(self.clauses, (list, tuple)):
            raise koji.ParameterError(f'Invalid clauses: {self.clauses}')
        for n, clause in enumerate(self.clauses or []):
            if not isinstance(clause, (list, tuple)) or len(clause) not in (2, 3):
                raise koji.ParameterError(f'Invalid clause: {clause}')
            if len(clause) == 2:
                field, value = clause
                op = 'IN' if isinstance(value, (list, tuple)) else '='
            else:
                field, op, value = clause
                op = op.upper() if isinstance(op, str) else op
                if op not in OPERATORS:
                    raise koji.ParameterError(f'Invalid operator: {op}')
            column = self._map(field, joins)
            key = 'v_%s_%i' % (field, n)
            if op == 'IN':
                if not isinstance(value, (list, tuple)):
                    raise koji.ParameterError(f'Invalid clause: {clause}')
                values[key] = list(value)
                result.append('%s = ANY(%%(%s)s)' % (column, key))
                continue
            values[key] = value
            result.append('%s %s %%(%s)s' % (column, op, key))
        return result

    def _fields(self, joins):
        fields = self.fields or self.default_fields
        if isinstance(fields, str):
            fields = [fields]
        names = []
        for field in fields:
            if field == '*':
                # fields needing no join beyond those already implied
                names.extend(f for f, (_, jk) in self.fieldmap.items()
                             if jk is None or jk in joins)
            elif field == '**':
                names.extend(self.fieldmap)
            else:
                names.append(field)
        result = {}
        for name in names:
            if name not in result:
                result[name] = self._map(name, joins)
        return result

    @property
    def query(self):
        if self._query is None:
            joins = []
            values = {}
            opts = dict(self.opts or {})
            order_map = {}
            if opts.get('order'):
                for key in str(opts['order']).split(','):
                    key = key.strip().lstrip('-')
                    order_map[key] = self._map(key, joins)
            clauses = self._clauses(joins, values)
            fields = self._fields(joins)
            self._query = QueryProcessor(
                columns=list(fields.values()), aliases=list(fields), tables=list(self.tables),
                joins=[self.joinmap[k] for k in joins], clauses=clauses, values=values,
                opts=opts, order_map=order_map)
        return self._query

    def execute(self):
        return self.query.execute()

    def executeOne(self, strict=False):
        return self.query.executeOne(strict=strict)

    def iterate(self):
        return self.query.iterate()

    def singleValue(self, strict=True):
        return self.query.singleValue(strict=strict)


class RepoQuery(QueryView):
    tables = ['repo']
    joinmap = {
        'tag': 'tag ON repo.tag_id = tag.id',
        'create_ev': 'events AS create_ev ON repo.create_event = create_ev.id',
        'begin_ev': 'LEFT JOIN events AS begin_ev ON repo.begin_event = begin_ev.id',
        'end_ev': 'LEFT JOIN events AS end_ev ON repo.end_event = end_ev.id',
        'task': 'LEFT JOIN task ON repo.task_id = task.id',
    }
    fieldmap = {
        'id': ('repo.id', None),
        'tag_id': ('repo.tag_id', None),
        'creation_time': ('repo.creation_time', None),
        'creation_ts': ("date_part('epoch', repo.creation_time)", None),
        'state_time': ('repo.state_time', None),
        'state_ts': ("date_part('epoch', repo.state_time)", None),
        'create_event': ('repo.create_event', None),
        'create_ts': ("date_part('epoch', create_ev.time)", 'create_ev'),
        'begin_event': ('repo.begin_event', None),
        'begin_ts': ("date_part('epoch', begin_ev.time)", 'begin_ev'),
        'end_event': ('repo.end_event', None),
        'end_ts': ("date_part('epoch', end_ev.time)", 'end_ev'),
        'state': ('repo.state', None),
        'dist': ('repo.dist', None),
        'opts': ('repo.opts', None),
        'custom_opts': ('repo.custom_opts', None),
        'task_id': ('repo.task_id', None),
        'task_state': ('task.state', 'task'),
        'tag_name': ('tag.name', 'tag'),
    }
    default_fields = ('id', 'tag_id', 'create_event', 'state', 'dist', 'task_id', 'opts',
                      'custom_opts')


class RepoQueueQuery(QueryView):
    tables = ['repo_queue']
    joinmap = {
        'tag': 'tag ON repo_queue.tag_id = tag.id',
        'task': 'LEFT JOIN task ON repo_queue.task_id = task.id',
        'users': 'users ON repo_queue.owner = users.id',
    }
    fieldmap = {
        'id': ('repo_queue.id', None),
        'create_time': ('repo_queue.create_time', None),
        'create_ts': ("date_part('epoch', repo_queue.create_time)", None),
        'owner': ('repo_queue.owner', None),
        'owner_name': ('users.name', 'users'),
        'priority': ('repo_queue.priority', None),
        'tag_id': ('repo_queue.tag_id', None),
        'tag_name': ('tag.name', 'tag'),
        'at_event': ('repo_queue.at_event', None),
        'min_event': ('repo_queue.min_event', None),
        'opts': ('repo_queue.opts', None),
        'update_time': ('repo_queue.update_time', None),
        'update_ts': ("date_part('epoch', repo_queue.update_time)", None),
        'active': ('repo_queue.active', None),
        'task_id': ('repo_queue.task_id', None),
        'task_state': ('task.state', 'task'),
        'tries': ('repo_queue.tries', None),
        'repo_id': ('repo_queue.repo_id', None),
    }
    default_fields = ('id', 'tag_id', 'at_event', 'min_event', 'create_ts', 'task_id',
                      'tries', 'repo_id', 'opts', 'active', 'update_ts')
