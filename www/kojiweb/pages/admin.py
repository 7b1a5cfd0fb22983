"""Admin actions on tags, build targets and hosts: each needs the login cookie and the CSRF
token; the forms post back to themselves (GET, as upstream)."""
import koji

from kojiweb.request import Redirect

from . import page
from .tasks import _int_param


def _tag_form(req, tag):
    values = {'tag': tag, 'perms': req.server.getAllPerms()}
    return req.render('tagedit.chtml', values, 'Edit Tag' if tag else 'Add Tag', 'tags')


def _tag_fields(req, arches, locked, permission, maven_support, maven_include_all, editing):
    """createTag/editTag2 keywords from the form (checkboxes count when present)."""
    fields = {'arches': arches, 'locked': locked is not None}
    if permission != 'none':
        fields['perm'] = int(permission)
    elif editing:
        fields['perm'] = None
    if req.server.mavenEnabled():
        fields['maven_support'] = maven_support is not None
        fields['maven_include_all'] = maven_include_all is not None
    return fields


def _get_tag(req, tagID):
    tag_id = _int_param(tagID, 'tagID')
    tag = req.server.getTag(tag_id)
    if tag is None:
        raise koji.GenericError('no tag with ID: %i' % tag_id)
    return tag


@page
def tagcreate(req, add=None, cancel=None, name=None, arches=None, locked=None,
              permission=None, maven_support=None, maven_include_all=None):
    req.assert_login()
    if add is not None:
        fields = _tag_fields(req, arches, locked, permission, maven_support,
                             maven_include_all, editing=False)
        tag_id = req.server.createTag(name, **fields)
        raise Redirect('taginfo?tagID=%i' % tag_id)
    if cancel is not None:
        raise Redirect('tags')
    return _tag_form(req, None)


@page
def tagedit(req, tagID, save=None, cancel=None, name=None, arches=None, locked=None,
            permission=None, maven_support=None, maven_include_all=None):
    req.assert_login()
    tag = _get_tag(req, tagID)
    if save is not None:
        fields = _tag_fields(req, arches, locked, permission, maven_support,
                             maven_include_all, editing=True)
        req.server.editTag2(tag['id'], name=name, **fields)
        raise Redirect('taginfo?tagID=%i' % tag['id'])
    if cancel is not None:
        raise Redirect('taginfo?tagID=%i' % tag['id'])
    return _tag_form(req, tag)


@page
def tagdelete(req, tagID):
    req.assert_login()
    tag = _get_tag(req, tagID)
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
    if action in ('add', 'edit'):
        if add is not None or save is not None:
            datum = {'parent_id': parent['id'], 'priority': _int_param(priority, 'priority'),
                     'maxdepth': int(maxdepth) if maxdepth else None,
                     'intransitive': intransitive is not None,
                     'noconfig': noconfig is not None, 'pkg_filter': pkg_filter}
            data = server.getInheritanceData(tag['id'])
            data.append(datum)
            server.setInheritanceData(tag['id'], data)
        elif cancel is None:
            data = server.getInheritanceData(tag['id'])
            current = [d for d in data if d['parent_id'] == parent['id']]
            if len(current) > 1:
                raise koji.GenericError('tag %i has tag %i listed as a parent more than once'
                                        % (tag['id'], parent['id']))
            values = {'tag': tag, 'parent': parent, 'action': action,
                      'inheritanceData': current[0] if current else None,
                      'maxPriority': max([d['priority'] for d in data] + [0])}
            return req.render('tagparent.chtml', values, action.capitalize() + ' Parent Tag',
                              'tags')
    elif action == 'remove':
        data = server.getInheritanceData(tag['id'])
        for datum in data:
            if datum['parent_id'] == parent['id']:
                datum['delete link'] = True
                break
        else:
            raise koji.GenericError('tag %i is not a parent of tag %i'
                                    % (parent['id'], tag['id']))
        server.setInheritanceData(tag['id'], data)
    else:
        raise koji.GenericError('unknown action: %s' % action)
    raise Redirect('taginfo?tagID=%i' % tag['id'])


def _target_form(req, target):
    values = {'target': target, 'tags': req.server.listTags(queryOpts={'order': 'name'})}
    # upstream's page id for the create form is spelled 'builtargets'
    return req.render('buildtargetedit.chtml', values,
                      'Edit Build Target' if target else 'Add Build Target',
                      'buildtargets' if target else 'builtargets')


@page
def buildtargetcreate(req, add=None, cancel=None, name=None, buildTag=None, destTag=None):
    req.assert_login()
    if add is not None:
        req.server.createBuildTarget(name, _int_param(buildTag, 'buildTag'),
                                     _int_param(destTag, 'destTag'))
        target = req.server.getBuildTarget(name)
        if target is None:
            raise koji.GenericError('error creating build target "%s"' % name)
        raise Redirect('buildtargetinfo?targetID=%i' % target['id'])
    if cancel is not None:
        raise Redirect('buildtargets')
    return _target_form(req, None)


def _get_target(req, targetID):
    target_id = _int_param(targetID, 'targetID')
    target = req.server.getBuildTarget(target_id)
    if target is None:
        raise koji.GenericError('No such build target: %s' % target_id)
    return target


def _tag_by_id(req, value, name):
    tag_id = _int_param(value, name)
    tag = req.server.getTag(tag_id)
    if tag is None:
        raise koji.GenericError('No such tag ID: %i' % tag_id)
    return tag


@page
def buildtargetedit(req, targetID, save=None, cancel=None, name=None, buildTag=None,
                    destTag=None):
    req.assert_login()
    target = _get_target(req, targetID)
    if save is not None:
        build_tag = _tag_by_id(req, buildTag, 'buildTag')
        dest_tag = _tag_by_id(req, destTag, 'destTag')
        req.server.editBuildTarget(target['id'], name, build_tag['id'], dest_tag['id'])
        raise Redirect('buildtargetinfo?targetID=%i' % target['id'])
    if cancel is not None:
        raise Redirect('buildtargetinfo?targetID=%i' % target['id'])
    return _target_form(req, target)


@page
def buildtargetdelete(req, targetID):
    req.assert_login()
    target = _get_target(req, targetID)
    req.server.deleteBuildTarget(target['id'])
    raise Redirect('buildtargets')


@page
def hostedit(req, hostID, save=None, cancel=None, arches=None, capacity=None,
             description=None, comment=None, enabled=None, channels=None):
    req.assert_login()
    server = req.server
    host_id = _int_param(hostID, 'hostID')
    host = server.getHost(host_id)
    if host is None:
        raise koji.GenericError('no host with ID: %i' % host_id)
    if save is not None:
        try:
            capacity = float(capacity)
        except (TypeError, ValueError):
            raise koji.GenericError('Invalid capacity: %r' % (capacity,))
        server.editHost(host['id'], arches=arches, capacity=capacity,
                        description=description, comment=comment)
        enabled = enabled is not None
        if enabled != host['enabled']:
            (server.enableHost if enabled else server.disableHost)(host['name'])
        if channels is None:
            channels = []
        elif not isinstance(channels, list):
            channels = [channels]
        current = [c['name'] for c in server.listChannels(hostID=host['id'])]
        for name in current:
            if name not in channels:
                server.removeHostFromChannel(host['name'], name)
        for name in channels:
            if name not in current:
                server.addHostToChannel(host['name'], name)
        raise Redirect('hostinfo?hostID=%i' % host['id'])
    if cancel is not None:
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
