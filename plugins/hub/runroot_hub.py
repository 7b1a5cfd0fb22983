"""runroot: run an arbitrary command in a buildroot of a tag, as a task for a builder
(plugins/builder/runroot.py does the work).  Needs the runroot permission."""
import random

import koji
from koji.context import context
from koji.plugin import export

import kojihub

__all__ = ('runroot',)


def get_channel_arches(channel):
    """Canonical arches of the enabled hosts in a channel."""
    chan = kojihub.get_channel(channel, strict=True)
    arches = set()
    for host in kojihub.list_hosts(channelID=chan['id'], enabled=True):
        arches.update(koji.canonArch(arch) for arch in host['arches'].split())
    return arches


def _pick_noarch_arch(tag, channel, tag_info):
    """An arch for a noarch runroot when the tag does not cover every host arch."""
    if not tag['arches']:
        raise koji.GenericError('no arches defined for tag %s' % tag['name'])
    tag_arches = tag['arches'].split()
    if not set(kojihub.get_all_arches()) - set(tag_arches):
        return None
    channel_arches = get_channel_arches(channel)
    choices = [arch for arch in tag_arches if arch in channel_arches]
    if not choices:
        raise koji.GenericError('no common arches for tag/channel: %s/%s'
                                % (tag_info, channel))
    return koji.canonArch(random.choice(choices))


@export
def runroot(tagInfo, arch, command, channel=None, **opts):
    """Queue a runroot task; returns its id."""
    context.session.assertPerm('runroot')
    arch = koji.parse_arches(arch, strict=True, allow_none=False)
    if not isinstance(command, (str, list)):
        raise koji.GenericError("Invalid type for value '%s': %s" % (command, type(command)))
    taskopts = {'priority': 15, 'arch': arch, 'channel': channel or 'runroot'}
    tag = kojihub.get_tag(tagInfo, strict=True)
    if arch == 'noarch':
        picked = _pick_noarch_arch(tag, taskopts['channel'], tagInfo)
        if picked:
            taskopts['arch'] = picked
    args = koji.encode_args(tagInfo, arch, command, **opts)
    return kojihub.make_task('runroot', args, **taskopts)
