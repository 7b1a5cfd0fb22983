"""Admin actions on tags, build targets and hosts: each needs the login cookie and the CSRF
token; the forms post back to themselves (GET, as upstream)."""
import koji

from kojiweb.request import Redirect

from . import page
from .tasks import _int_param


def _opt_int(value, name):
    if value in (None, '', 'none'):
        return None
    return _int_param(value, name)


def _tag_form(req, tag):
    values = {'tag': tag, 'perms': req.server.getAllPerms()}
    return req.render('tagedit.chtml', values, 'Edit Tag' if tag else 'Add Tag', 'tags')


def _tag_fields(req, name, arches, locked, permission, maven_support, maven_include_all):
    fields = {'arches': arches or '', 'locked': bool(locked),
              'perm': _opt_int(permission, 'permission')}
    if req.server.mavenEnabled():
        fields['maven_support'] = bool(maven_support)
        fields['maven_include_all'] = bool(maven_include_all)
    return fields


@page
def tagcreate(req, add=None, cancel=None, name=None, arches=None, locked=None,
              permission=None, maven_support=None, maven_include_all=None):
    req.assert_login()
    if add:
        fields = _tag_fields(req, name, arches, locked, permission, maven_support,
                             maven_include_all)
        tag_id = req.server.createTag(name, **fields)
        raise Redirect('taginfo?tagID=%i' % tag_id)
    if cancel:
        raise Redirect('tags')
    return _tag_form(req, None)


@page
def tagedit(req, tagID, save=None, cancel=None, name=None, arches=None, locked=None,
            permission=None, maven_support=None, maven_include_all=None):
    req.assert_login()
    tag = req.server.getTag(_int_param(tagID, 'tagID'), strict=True)
    if save:
        fields = _tag_fields(req, name, arches, locked, permission, maven_support,
                             maven_include_all)
        req.server.editTag2(tag['id'], name=name, **fields)
        raise Redirect('taginfo?tagID=%i' % tag['id'])
    if cancel:
        raise Redirect('taginfo?tagID=%i' % tag['id'])
    return _tag_form(req, tag)


@page
def tagdelete(req, tagID):
    req.assert_login()
    tag = req.server.getTag(_int_param(tagID, 'tagID'), strict=True)
    req.server.deleteTag(tag['id'])
    raise Redirect('tags')


@page
def tagparent(req, tagID, parentID, action, add=None, save=None, cancel=None,
              priority=None, maxdepth=None, intransitive=None, noconfig=None,
              pkg_filter=None):
    req.assert_login()
    server = req.server
    tag = server.getTag(_int_param(tagID, 'tagID'), strict=True)
    parent = server.getTag(_int_param(parentID, 'parentID'), strict=True)
    if action not in ('add', 'edit', 'remove'):
        raise koji.GenericError('unknown action: %s' % action)
    data = server.getInheritanceData(tag['id'])
    current = [d for d in data if d['parent_id'] == parent['id']]
    if cancel:
        raise Redirect('taginfo?tagID=%i' % tag['id'])
    if action == 'remove':
        if not current:
            raise koji.GenericError('tag %s is not a parent of %s'
                                    % (parent['name'], tag['name']))
        current[0]['delete link'] = True
        server.setInheritanceData(tag['id'], current)
        raise Redirect('taginfo?tagID=%i' % tag['id'])
    if add or save:
        datum = {'parent_id': parent['id'], 'priority': _int_param(priority, 'priority'),
                 'maxdepth': _opt_int(maxdepth, 'maxdepth'),
                 'intransitive': bool(intransitive), 'noconfig': bool(noconfig),
                 'pkg_filter': pkg_filter or ''}
        if action == 'add' and current:
            raise koji.GenericError('tag %s is already a parent of %s'
                                    % (parent['name'], tag['name']))
        server.setInheritanceData(tag['id'], [datum])
        raise Redirect('taginfo?tagID=%i' % tag['id'])
    values = {'tag': tag, 'parent': parent, 'action': action,
              'inheritanceData': current[0] if current else None,
              'maxPriority': max([d['priority'] for d in data] or [0])}
    return req.render('tagparent.chtml', values, action.capitalize() + ' Parent Tag', 'tags')


def _target_form(req, target):
    values = {'target': target, 'tags': req.server.listTags(queryOpts={'order': 'name'})}
    # upstream's page id for the create form is spelled 'builtargets'
    return req.render('buildtargetedit.chtml', values,
                      'Edit Build Target' if target else 'Add Build Target',
                      'buildtargets' if target else 'builtargets')


@page
def buildtargetcreate(req, add=None, cancel=None, name=None, buildTag=None, destTag=None):
    req.assert_login()
    if add:
        req.server.createBuildTarget(name, _int_param(buildTag, 'buildTag'),
                                     _int_param(destTag, 'destTag'))
        target = req.server.getBuildTarget(name)
        if target is None:
            raise koji.GenericError('error creating build target "%s"' % name)
        raise Redirect('buildtargetinfo?targetID=%i' % target['id'])
    if cancel:
        raise Redirect('buildtargets')
    return _target_form(req, None)


@page
def buildtargetedit(req, targetID, save=None, cancel=None, name=None, buildTag=None,
                    destTag=None):
    req.assert_login()
    target = req.server.getBuildTarget(_int_param(targetID, 'targetID'), strict=True)
    if save:
        req.server.editBuildTarget(target['id'], name, _int_param(buildTag, 'buildTag'),
                                   _int_param(destTag, 'destTag'))
        raise Redirect('buildtargetinfo?targetID=%i' % target['id'])
    if cancel:
        raise Redirect('buildtargetinfo?targetID=%i' % target['id'])
    return _target_form(req, target)


@page
def buildtargetdelete(req, targetID):
    req.assert_login()
    target = req.server.getBuildTarget(_int_param(targetID, 'targetID'), strict=True)
    req.server.deleteBuildTarget(target['id'])
    raise Redirect('buildtargets')


@page
def hostedit(req, hostID, save=None, cancel=None, arches=None, capacity=None,
             description=None, comment=None, enabled=None, channels=None):
    req.assert_login()
    server = req.server
    host = server.getHost(_int_param(hostID, 'hostID'), strict=True)
    if save:
        try:
            capacity = float(capacity)
        except (TypeError, ValueError):
            raise koji.GenericError('Invalid capacity: %r' % (capacity,))
        server.editHost(host['id'], arches=arches, capacity=capacity,
                        description=description, comment=comment)
        if bool(enabled) != bool(host['enabled']):
            (server.enableHost if enabled else server.disableHost)(host['name'])
        if channels is None:
            channels = []
        elif not isinstance(channels, list):
            channels = [channels]
        current = {c['name'] for c in server.listChannels(hostID=host['id'])}
        for name in sorted(current - set(channels)):
            server.removeHostFromChannel(host['name'], name)
        for name in sorted(set(channels) - current):
            server.addHostToChannel(host['name'], name)
        raise Redirect('hostinfo?hostID=%i' % host['id'])
    if cancel:
        raise Redirect('hostinfo?hostID=%i' % host['id'])
    values = {'host': host, 'allChannels': sorted(server.listChannels(),
                                                  key=lambda c: c['name']),
              'hostChannels': {c['name'] for c in server.listChannels(hostID=host['id'])}}
    return req.render('hostedit.chtml', values, 'Edit Host', 'hosts')


@page
def disablehost(req, hostID):
    req.assert_login()
    host = req.server.getHost(_int_param(hostID, 'hostID'), strict=True)
    req.server.disableHost(host['name'])
    raise Redirect('hostinfo?hostID=%i' % host['id'])


@page
def enablehost(req, hostID):
    req.assert_login()
    host = req.server.getHost(_int_param(hostID, 'hostID'), strict=True)
    req.server.enableHost(host['name'])
    raise Redirect('hostinfo?hostID=%i' % host['id'])
