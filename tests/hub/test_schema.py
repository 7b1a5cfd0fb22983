"""Behaviour of schemas/schema.sql once loaded into PostgreSQL.

The expectations below are transcribed from the schema reference (schema level 1.37) so
that a change to schema.sql which breaks upstream compatibility fails here.
"""
import datetime

import pytest

from tests.fixtures.db import create_test_db, drop_test_db

psycopg2 = pytest.importorskip('psycopg2')


# --- expectations ------------------------------------------------------------------------

# The five columns every history ("versioned") table ends with.
VERSION_COLUMNS = ['create_event', 'revoke_event', 'creator_id', 'revoker_id', 'active']

# table: (versioned, own columns in order); versioned tables add VERSION_COLUMNS.
EXPECTED_COLUMNS = {
    'events': (False, 'id time'),
    'event_labels': (False, 'event_id label'),
    'users': (False, 'id name password status usertype'),
    'user_krb_principals': (False, 'user_id krb_principal'),
    'permissions': (False, 'id name description'),
    'user_perms': (True, 'user_id perm_id'),
    'user_groups': (True, 'user_id group_id'),
    'sessions': (False, (
        'id user_id expired master key authtype hostip callnum start_time update_time exclusive '
        'closed renew_time'
    )),
    'channels': (False, 'id name description enabled comment'),
    'host': (False, 'id user_id name update_time task_load ready'),
    'host_config': (True, 'host_id arches capacity description comment enabled'),
    'host_channels': (True, 'host_id channel_id'),
    'task': (False, (
        'id state create_time start_time completion_time channel_id host_id parent label '
        'waiting awaited owner method request result eta arch priority weight'
    )),
    'package': (False, 'id name'),
    'volume': (False, 'id name'),
    'content_generator': (False, 'id name'),
    'build': (False, (
        'id volume_id pkg_id version release epoch draft source create_event start_time '
        'completion_time promotion_time state task_id owner promoter cg_id extra'
    )),
    'btype': (False, 'id name'),
    'build_types': (False, 'build_id btype_id'),
    'tag': (False, 'id name'),
    'tag_inheritance': (True, (
        'tag_id parent_id priority maxdepth intransitive noconfig pkg_filter'
    )),
    'tag_config': (True, 'tag_id arches perm_id locked maven_support maven_include_all'),
    'tag_extra': (True, 'tag_id key value'),
    'tag_updates': (False, 'id tag_id update_event updater_id update_type'),
    'build_target': (False, 'id name'),
    'build_target_config': (True, 'build_target_id build_tag dest_tag'),
    'repo': (False, (
        'id creation_time create_event state_time begin_event end_event tag_id state dist opts '
        'custom_opts task_id'
    )),
    'repo_queue': (False, (
        'id create_time owner priority tag_id at_event min_event opts update_time active '
        'task_id tries repo_id'
    )),
    'external_repo': (False, 'id name'),
    'external_repo_config': (True, 'external_repo_id url'),
    'external_repo_data': (True, 'external_repo_id data'),
    'tag_external_repos': (True, 'tag_id external_repo_id priority merge_mode arches'),
    'cg_users': (True, 'cg_id user_id'),
    'build_reservations': (False, 'build_id token created'),
    'buildroot': (False, (
        'id br_type cg_id cg_version container_type container_arch host_os host_arch extra'
    )),
    'standard_buildroot': (False, (
        'buildroot_id host_id repo_id task_id create_event retire_event state'
    )),
    'buildroot_tools_info': (False, 'buildroot_id tool version'),
    'image_builds': (False, 'build_id'),
    'tag_listing': (True, 'build_id tag_id'),
    'tag_packages': (True, 'package_id tag_id blocked extra_arches'),
    'tag_package_owners': (True, 'package_id tag_id owner'),
    'groups': (False, 'id name'),
    'group_config': (True, (
        'group_id tag_id blocked exported display_name is_default uservisible description '
        'langonly biarchonly'
    )),
    'group_req_listing': (True, 'group_id tag_id req_id blocked type is_metapkg'),
    'group_package_listing': (True, 'group_id tag_id package blocked type basearchonly requires'),
    'rpminfo': (False, (
        'id build_id buildroot_id name version release epoch arch draft external_repo_id '
        'payloadhash size buildtime metadata_only extra'
    )),
    'rpmsigs': (False, 'rpm_id sigkey sighash'),
    'buildroot_listing': (False, 'buildroot_id rpm_id is_update'),
    'build_notifications': (False, 'id user_id package_id tag_id success_only email'),
    'build_notifications_block': (False, 'id user_id package_id tag_id'),
    'maven_builds': (False, 'build_id group_id artifact_id version'),
    'win_builds': (False, 'build_id platform'),
    'archivetypes': (False, 'id name description extensions compression_type'),
    'archiveinfo': (False, (
        'id type_id btype_id build_id buildroot_id filename size checksum checksum_type '
        'metadata_only extra'
    )),
    'maven_archives': (False, 'archive_id group_id artifact_id version'),
    'image_archives': (False, 'archive_id arch'),
    'archive_rpm_components': (False, 'archive_id rpm_id'),
    'archive_components': (False, 'archive_id component_id'),
    'buildroot_archives': (False, 'buildroot_id archive_id project_dep'),
    'win_archives': (False, 'archive_id relpath platforms flags'),
    'proton_queue': (False, 'id created_ts address props body'),
    'rpm_checksum': (False, 'rpm_id sigkey checksum checksum_type'),
    'scheduler_task_runs': (False, 'id task_id host_id active create_time'),
    'scheduler_host_data': (False, 'host_id data'),
    'scheduler_sys_data': (False, 'name data'),
    'scheduler_task_refusals': (False, 'id task_id host_id by_host soft msg time'),
    'scheduler_log_messages': (False, 'id task_id host_id msg_time msg'),
    'locks': (False, 'name'),
}

VERSIONED_TABLES = sorted(t for t, (versioned, _) in EXPECTED_COLUMNS.items() if versioned)

# Single column foreign keys, "column>referenced_table"; versioning columns not included.
EXPECTED_FKS = {
    'archive_components': 'archive_id>archiveinfo component_id>archiveinfo',
    'archive_rpm_components': 'archive_id>archiveinfo rpm_id>rpminfo',
    'archiveinfo': 'btype_id>btype build_id>build buildroot_id>buildroot type_id>archivetypes',
    'build': (
        'cg_id>content_generator create_event>events owner>users pkg_id>package '
        'promoter>users task_id>task volume_id>volume '
    ),
    'build_notifications': 'package_id>package tag_id>tag user_id>users',
    'build_notifications_block': 'package_id>package tag_id>tag user_id>users',
    'build_reservations': 'build_id>build',
    'build_target_config': 'build_tag>tag build_target_id>build_target dest_tag>tag',
    'build_types': 'btype_id>btype build_id>build',
    'buildroot': 'cg_id>content_generator',
    'buildroot_archives': 'archive_id>archiveinfo buildroot_id>buildroot',
    'buildroot_listing': 'buildroot_id>buildroot rpm_id>rpminfo',
    'buildroot_tools_info': 'buildroot_id>buildroot',
    'cg_users': 'cg_id>content_generator user_id>users',
    'event_labels': 'event_id>events',
    'external_repo_config': 'external_repo_id>external_repo',
    'external_repo_data': 'external_repo_id>external_repo',
    'group_config': 'group_id>groups tag_id>tag',
    'group_package_listing': 'group_id>groups tag_id>tag',
    'group_req_listing': 'group_id>groups req_id>groups tag_id>tag',
    'host': 'user_id>users',
    'host_channels': 'channel_id>channels host_id>host',
    'host_config': 'host_id>host',
    'image_archives': 'archive_id>archiveinfo',
    'image_builds': 'build_id>build',
    'maven_archives': 'archive_id>archiveinfo',
    'maven_builds': 'build_id>build',
    'repo': 'begin_event>events create_event>events end_event>events tag_id>tag task_id>task',
    'repo_queue': (
        'at_event>events min_event>events owner>users repo_id>repo tag_id>tag '
        'task_id>task '
    ),
    'rpm_checksum': 'rpm_id>rpminfo',
    'rpminfo': 'buildroot_id>buildroot external_repo_id>external_repo',
    'rpmsigs': 'rpm_id>rpminfo',
    'scheduler_host_data': 'host_id>host',
    'scheduler_log_messages': 'host_id>host task_id>task',
    'scheduler_task_refusals': 'host_id>host task_id>task',
    'scheduler_task_runs': 'host_id>host task_id>task',
    'sessions': 'master>sessions user_id>users',
    'standard_buildroot': (
        'buildroot_id>buildroot create_event>events host_id>host repo_id>repo '
        'task_id>task '
    ),
    'tag_config': 'perm_id>permissions tag_id>tag',
    'tag_external_repos': 'external_repo_id>external_repo tag_id>tag',
    'tag_extra': 'tag_id>tag',
    'tag_inheritance': 'parent_id>tag tag_id>tag',
    'tag_listing': 'build_id>build tag_id>tag',
    'tag_package_owners': 'owner>users package_id>package tag_id>tag',
    'tag_packages': 'package_id>package tag_id>tag',
    'tag_updates': 'tag_id>tag update_event>events updater_id>users',
    'task': 'channel_id>channels host_id>host owner>users parent>task',
    'user_groups': 'group_id>users user_id>users',
    'user_krb_principals': 'user_id>users',
    'user_perms': 'perm_id>permissions user_id>users',
    'win_archives': 'archive_id>archiveinfo',
    'win_builds': 'build_id>build',
}

# (table, column): (type as format_type() prints it, NOT NULL, default expression or None)
COLUMN_DETAILS = {
    ('events', 'id'): ('integer', True, "nextval('events_id_seq'::regclass)"),
    ('events', 'time'): ('timestamp with time zone', True, 'clock_timestamp()'),
    ('event_labels', 'label'): ('character varying(255)', True, None),
    ('users', 'name'): ('character varying(255)', True, None),
    ('users', 'password'): ('character varying(255)', False, None),
    ('users', 'status'): ('integer', True, None),
    ('permissions', 'name'): ('character varying(50)', True, None),
    ('permissions', 'description'): ('text', False, None),
    ('sessions', 'expired'): ('boolean', True, 'false'),
    ('sessions', 'key'): ('character varying(255)', False, None),
    ('sessions', 'start_time'): ('timestamp with time zone', True, 'now()'),
    ('sessions', 'exclusive'): ('boolean', False, None),
    ('sessions', 'closed'): ('boolean', True, 'false'),
    ('sessions', 'renew_time'): ('timestamp with time zone', False, None),
    ('channels', 'name'): ('character varying(128)', True, None),
    ('channels', 'enabled'): ('boolean', True, 'true'),
    ('host', 'name'): ('character varying(128)', True, None),
    ('host', 'task_load'): ('double precision', True, '0.0'),
    ('host', 'ready'): ('boolean', True, 'false'),
    ('host_config', 'capacity'): ('double precision', True, '2.0'),
    ('host_config', 'enabled'): ('boolean', True, 'true'),
    ('task', 'state'): ('integer', False, None),
    ('task', 'create_time'): ('timestamp with time zone', True, 'now()'),
    ('task', 'label'): ('character varying(255)', False, None),
    ('task', 'owner'): ('integer', True, None),
    ('task', 'arch'): ('character varying(16)', True, None),
    ('task', 'weight'): ('double precision', True, '1.0'),
    ('package', 'name'): ('text', True, None),
    ('build', 'volume_id'): ('integer', True, None),
    ('build', 'epoch'): ('integer', False, None),
    ('build', 'draft'): ('boolean', True, 'false'),
    ('build', 'create_event'): ('integer', True, 'get_event()'),
    ('build', 'state'): ('integer', True, None),
    ('build', 'extra'): ('text', False, None),
    ('tag_inheritance', 'intransitive'): ('boolean', True, 'false'),
    ('tag_config', 'maven_support'): ('boolean', True, 'false'),
    ('tag_extra', 'value'): ('text', False, None),
    ('tag_updates', 'update_event'): ('integer', True, 'get_event()'),
    ('repo', 'creation_time'): ('timestamp with time zone', False, 'now()'),
    ('repo', 'create_event'): ('integer', True, 'get_event()'),
    ('repo', 'dist'): ('boolean', False, 'false'),
    ('repo', 'opts'): ('jsonb', False, None),
    ('repo', 'custom_opts'): ('jsonb', False, None),
    ('repo_queue', 'opts'): ('jsonb', True, None),
    ('repo_queue', 'active'): ('boolean', True, 'true'),
    ('repo_queue', 'tries'): ('integer', True, '0'),
    ('external_repo_data', 'data'): ('jsonb', False, None),
    ('tag_external_repos', 'merge_mode'): ('text', True, "'koji'::text"),
    ('build_reservations', 'token'): ('character varying(64)', False, None),
    ('build_reservations', 'created'): ('timestamp with time zone', True, None),
    ('buildroot', 'br_type'): ('integer', True, None),
    ('standard_buildroot', 'create_event'): ('integer', True, 'get_event()'),
    ('standard_buildroot', 'retire_event'): ('integer', False, None),
    ('groups', 'name'): ('character varying(50)', True, None),
    ('group_config', 'exported'): ('boolean', False, 'true'),
    ('group_config', 'display_name'): ('text', True, None),
    ('group_req_listing', 'type'): ('character varying(25)', False, None),
    ('group_package_listing', 'type'): ('character varying(25)', True, None),
    ('rpminfo', 'build_id'): ('integer', False, None),
    ('rpminfo', 'arch'): ('character varying(16)', True, None),
    ('rpminfo', 'draft'): ('boolean', False, None),
    ('rpminfo', 'size'): ('bigint', True, None),
    ('rpminfo', 'buildtime'): ('bigint', True, None),
    ('rpminfo', 'metadata_only'): ('boolean', True, 'false'),
    ('buildroot_listing', 'is_update'): ('boolean', True, 'false'),
    ('archivetypes', 'compression_type'): ('text', False, None),
    ('archiveinfo', 'size'): ('bigint', True, None),
    ('archiveinfo', 'checksum_type'): ('integer', True, None),
    ('image_archives', 'arch'): ('character varying(16)', True, None),
    ('proton_queue', 'created_ts'): ('timestamp with time zone', False, 'now()'),
    ('proton_queue', 'props'): ('json', True, None),
    ('proton_queue', 'body'): ('json', True, None),
    ('rpm_checksum', 'checksum_type'): ('smallint', True, None),
    ('scheduler_task_runs', 'active'): ('boolean', True, 'true'),
    ('scheduler_host_data', 'data'): ('jsonb', False, None),
    ('scheduler_task_refusals', 'soft'): ('boolean', True, 'false'),
    ('scheduler_task_refusals', 'time'): ('timestamp with time zone', True, 'now()'),
    ('scheduler_log_messages', 'msg'): ('text', True, None),
    ('locks', 'name'): ('text', True, None),
}

VERSION_COLUMN_DETAILS = {
    'create_event': ('integer', True, 'get_event()'),
    'revoke_event': ('integer', False, None),
    'creator_id': ('integer', True, None),
    'revoker_id': ('integer', False, None),
    'active': ('boolean', False, 'true'),
}

# (table, constraint name, contype) for the constraints the reference names.
NAMED_CONSTRAINTS = [
    ('sessions', 'no_exclusive_subsessions', 'c'),
    ('sessions', 'no_closed_exclusive', 'c'),
    ('task', 'parent_label_sane', 'c'),
    ('build', 'build_pkg_ver_rel', 'u'),
    ('build', 'draft_for_rpminfo', 'u'),
    ('build', 'completion_sane', 'c'),
    ('build', 'promotion_sane', 'c'),
    ('build', 'draft_release_sane', 'c'),
    ('repo_queue', 'only_one_event', 'c'),
    ('repo_queue', 'active_sane', 'c'),
    ('buildroot', 'cg_sane', 'c'),
    ('buildroot', 'container_sane', 'c'),
    ('rpminfo', 'rpminfo_build_id_draft_fkey', 'f'),
    ('rpminfo', 'build_id_draft_external_repo_id_sane', 'c'),
    ('rpmsigs', 'rpmsigs_no_resign', 'u'),
] + [(t, 'active_revoke_sane', 'c') for t in VERSIONED_TABLES]

# Primary keys (columns in order) of the tables whose key is not just "id".
PRIMARY_KEYS = {
    'user_krb_principals': 'user_id krb_principal',
    'user_perms': 'create_event user_id perm_id',
    'user_groups': 'create_event user_id group_id',
    'host_config': 'create_event host_id',
    'host_channels': 'create_event host_id channel_id',
    'build_types': 'build_id btype_id',
    'tag_inheritance': 'create_event tag_id priority',
    'tag_config': 'create_event tag_id',
    'tag_extra': 'create_event tag_id key',
    'build_target_config': 'create_event build_target_id',
    'external_repo_config': 'create_event external_repo_id',
    'external_repo_data': 'create_event external_repo_id',
    'tag_external_repos': 'create_event tag_id priority',
    'cg_users': 'create_event cg_id user_id',
    'build_reservations': 'build_id',
    'standard_buildroot': 'buildroot_id',
    'buildroot_tools_info': 'buildroot_id tool',
    'image_builds': 'build_id',
    'tag_listing': 'create_event build_id tag_id',
    'tag_packages': 'create_event package_id tag_id',
    'tag_package_owners': 'create_event package_id tag_id',
    'group_config': 'create_event group_id tag_id',
    'group_req_listing': 'create_event group_id tag_id req_id',
    'group_package_listing': 'create_event group_id tag_id package',
    'maven_builds': 'build_id',
    'win_builds': 'build_id',
    'maven_archives': 'archive_id',
    'image_archives': 'archive_id',
    'buildroot_archives': 'buildroot_id archive_id',
    'win_archives': 'archive_id',
    'rpm_checksum': 'rpm_id sigkey checksum_type',
    'scheduler_host_data': 'host_id',
    'scheduler_sys_data': 'name',
    'locks': 'name',
}
NO_PRIMARY_KEY = ['event_labels', 'rpmsigs', 'buildroot_listing', 'archive_rpm_components',
                  'archive_components']

# Unique constraints that include "active", per versioned table.
ACTIVE_UNIQUES = {
    'user_perms': ['user_id perm_id active'],
    'user_groups': ['user_id group_id active'],
    'host_config': ['host_id active'],
    'host_channels': ['host_id channel_id active'],
    'tag_inheritance': ['tag_id priority active', 'tag_id parent_id active'],
    'tag_config': ['tag_id active'],
    'tag_extra': ['tag_id key active'],
    'build_target_config': ['build_target_id active'],
    'external_repo_config': ['external_repo_id active'],
    'external_repo_data': ['external_repo_id active'],
    'tag_external_repos': ['tag_id priority active', 'tag_id external_repo_id active'],
    'cg_users': ['cg_id user_id active'],
    'tag_listing': ['build_id tag_id active'],
    'tag_packages': ['package_id tag_id active'],
    'tag_package_owners': ['package_id tag_id active'],
    'group_config': ['group_id tag_id active'],
    'group_req_listing': ['group_id tag_id req_id active'],
    'group_package_listing': ['group_id tag_id package active'],
}

# index name: (table, columns or None for expression indexes, unique)
EXPECTED_INDEXES = {
    'sessions_master': ('sessions', 'master', False),
    'sessions_active_and_recent': ('sessions', 'expired master update_time', False),
    'sessions_expired': ('sessions', 'expired', False),
    'host_config_by_active_and_enabled': ('host_config', 'active enabled', False),
    'task_by_state': ('task', 'state', False),
    'task_by_host': ('task', 'host_id', False),
    'task_by_no_parent_state_method': ('task', 'parent state method', False),
    'build_by_pkg_id': ('build', 'pkg_id', False),
    'build_completion': ('build', 'completion_time', False),
    'tag_inheritance_by_parent': ('tag_inheritance', 'parent_id', False),
    'tag_updates_by_tag': ('tag_updates', 'tag_id', False),
    'tag_updates_by_event': ('tag_updates', 'update_event', False),
    'build_reservations_created': ('build_reservations', 'created', False),
    'tag_listing_tag_id_key': ('tag_listing', 'tag_id', False),
    'tag_packages_active_tag_id': ('tag_packages', 'active tag_id', False),
    'tag_packages_create_event': ('tag_packages', 'create_event', False),
    'tag_packages_revoke_event': ('tag_packages', 'revoke_event', False),
    'rpminfo_build': ('rpminfo', 'build_id', False),
    'rpminfo_unique_nvra_not_draft': (
        'rpminfo', 'name version release arch external_repo_id', True),
    'rpminfo_nvra': ('rpminfo', 'name version release arch external_repo_id', False),
    'rpminfo_filename': ('rpminfo', None, False),
    'buildroot_listing_rpms': ('buildroot_listing', 'rpm_id', False),
    'archiveinfo_build_idx': ('archiveinfo', 'build_id', False),
    'archiveinfo_buildroot_idx': ('archiveinfo', 'buildroot_id', False),
    'archiveinfo_type_idx': ('archiveinfo', 'type_id', False),
    'archiveinfo_filename_idx': ('archiveinfo', 'filename', False),
    'rpm_components_idx': ('archive_rpm_components', 'rpm_id', False),
    'archive_components_idx': ('archive_components', 'component_id', False),
    'buildroot_archives_archive_idx': ('buildroot_archives', 'archive_id', False),
    'rpm_checksum_rpm_id': ('rpm_checksum', 'rpm_id', False),
    'scheduler_task_runs_task': ('scheduler_task_runs', 'task_id', False),
    'scheduler_task_runs_host': ('scheduler_task_runs', 'host_id', False),
    'scheduler_task_runs_create_time': ('scheduler_task_runs', 'create_time', False),
}

SERIAL_TABLES = [
    'events', 'users', 'permissions', 'sessions', 'channels', 'host', 'task', 'package',
    'volume', 'content_generator', 'build', 'btype', 'tag', 'tag_updates', 'build_target',
    'repo', 'repo_queue', 'external_repo', 'buildroot', 'groups', 'rpminfo',
    'build_notifications', 'build_notifications_block', 'archivetypes', 'archiveinfo',
    'proton_queue', 'scheduler_task_runs', 'scheduler_task_refusals', 'scheduler_log_messages',
]

PUBLIC_SELECT = ['build', 'package', 'task', 'tag', 'tag_listing', 'tag_config',
                 'tag_inheritance', 'tag_packages', 'rpminfo']

EXPECTED_PERMISSIONS = [
    ('admin', 'Full administrator access. Perform all actions.'),
    ('appliance', 'Create appliance builds - deprecated.'),
    ('dist-repo', 'Create a dist-repo.'),
    ('host', 'Add, remove, enable, disable hosts and channels.'),
    ('image', 'Start image tasks.'),
    ('image-import', 'Import image archives.'),
    ('livecd', 'Start livecd tasks.'),
    ('maven-import', 'Import maven archives.'),
    ('repo', 'Manage repos: newRepo, repoExpire, repoDelete, repoProblem.'),
    ('sign', 'Import RPM signatures and write signed RPMs.'),
    ('tag', 'Manage packages in tags: add, block, remove, and clone tags.'),
    ('target', 'Add, edit, and remove targets.'),
    ('win-admin', 'The default hub policy rule for "vm" requires this permission to '
                  'trigger Windows builds.'),
    ('win-import', 'Import win archives.'),
    ('draft-promoter', 'The permission required in the default "draft_promotion" hub policy '
                       'rule to promote draft build.'),
]

EXPECTED_CHANNELS = ['default', 'createrepo', 'maven', 'livecd', 'appliance', 'vm', 'image',
                     'livemedia']

# (name, description, extensions, compression_type) in id order, ids 1..76
EXPECTED_ARCHIVETYPES = [
    ('jar', 'Jar file', 'jar war rar ear sar jdocbook jdocbook-style', 'zip'),
    ('zip', 'Zip file', 'zip', 'zip'),
    ('pom', 'Maven Project Object Management file', 'pom', None),
    ('tar', 'Tar file', 'tar tar.gz tar.bz2 tar.xz tgz', 'tar'),
    ('xml', 'XML file', 'xml', None),
    ('xmlcompressed', 'Compressed XML file', 'xml.gz xml.bz2 xml.xz', None),
    ('xsd', 'XML Schema Definition', 'xsd', None),
    ('spec', 'RPM spec file', 'spec', None),
    ('exe', 'Windows executable', 'exe', None),
    ('dll', 'Windows dynamic link library', 'dll', None),
    ('lib', 'Windows import library', 'lib', None),
    ('sys', 'Windows device driver', 'sys', None),
    ('inf', 'Windows driver information file', 'inf', None),
    ('cat', 'Windows catalog file', 'cat', None),
    ('msi', 'Windows Installer package', 'msi', None),
    ('pdb', 'Windows debug information', 'pdb', None),
    ('oem', 'Windows driver oem file', 'oem', None),
    ('iso', 'CD/DVD Image', 'iso', None),
    ('raw', 'Raw disk image', 'raw', None),
    ('qcow', 'QCOW image', 'qcow', None),
    ('qcow2', 'QCOW2 image', 'qcow2', None),
    ('vmdk', 'vSphere image', 'vmdk', None),
    ('ova', 'Open Virtualization Archive', 'ova', None),
    ('ks', 'Kickstart', 'ks', None),
    ('cfg', 'Configuration file', 'cfg', None),
    ('vdi', 'VirtualBox Virtual Disk Image', 'vdi', None),
    ('aar', 'Binary distribution of an Android Library project', 'aar', None),
    ('apklib', 'Source distribution of an Android Library project', 'apklib', None),
    ('cab', 'Windows cabinet file', 'cab', None),
    ('dylib', 'OS X dynamic library', 'dylib', None),
    ('gem', 'Ruby gem', 'gem', None),
    ('ini', 'INI config file', 'ini', None),
    ('js', 'Javascript file', 'js', None),
    ('ldif', 'LDAP Data Interchange Format file', 'ldif', None),
    ('manifest', 'Runtime environment for .NET applications', 'manifest', None),
    ('msm', 'Windows merge module', 'msm', None),
    ('properties', 'Properties file', 'properties', None),
    ('sig', 'Signature file', 'sig signature', None),
    ('so', 'Shared library', 'so', None),
    ('txt', 'Text file', 'txt', None),
    ('vhd', 'Hyper-V image', 'vhd', None),
    ('vhdx', 'Hyper-V Virtual Hard Disk v2 image', 'vhdx', None),
    ('wsf', 'Windows script file', 'wsf', None),
    ('box', 'Vagrant Box Image', 'box', None),
    ('raw-xz', 'xz compressed raw disk image', 'raw.xz', None),
    ('json', 'JSON data', 'json', None),
    ('key', 'Key file', 'key', None),
    ('dot', 'DOT graph description', 'dot gv', None),
    ('groovy', 'Groovy script file', 'groovy gvy', None),
    ('batch', 'Batch file', 'bat', None),
    ('shell', 'Shell script', 'sh', None),
    ('rc', 'Resource file', 'rc', None),
    ('wsdl', 'Web Services Description Language', 'wsdl', None),
    ('obr', 'OSGi Bundle Repository', 'obr', None),
    ('liveimg-squashfs', 'liveimg compatible squashfs image', 'liveimg.squashfs', None),
    ('tlb', 'OLE type library file', 'tlb', None),
    ('jnilib', 'Java Native Interface library', 'jnilib', None),
    ('yaml', "YAML Ain't Markup Language", 'yaml yml', None),
    ('xjb', 'JAXB(Java Architecture for XML Binding) Binding Customization File', 'xjb', None),
    ('raw-gz', 'GZIP compressed raw disk image', 'raw.gz', None),
    ('qcow2-compressed', 'Compressed QCOW2 image', 'qcow2.gz qcow2.xz', None),
    ('iso-compressed', 'Compressed iso image', 'iso.gz iso.xz', None),
    ('vhd-compressed', 'Compressed VHD image', 'vhd.gz vhd.xz', None),
    ('vhdx-compressed', 'Compressed VHDx image', 'vhdx.gz vhdx.xz', None),
    ('vmdk-compressed', 'Compressed VMDK image', 'vmdk.gz vmdk.xz', None),
    ('kernel-image', 'Kernel BZ2 Image', 'vmlinuz vmlinuz.gz vmlinuz.xz', None),
    ('initramfs', 'Compressed Initramfs Image', 'img', None),
    ('checksum', 'Checksum file', 'sha256', None),
    ('changes', 'Kiwi changes file', 'changes.xz changes', None),
    ('packages', 'Kiwi packages listing', 'packages', None),
    ('verified', 'Kiwi verified package list', 'verified', None),
    ('erofs', 'erofs image', 'erofs', None),
    ('erofs-compressed', 'Compressed erofs image', 'erofs.gz erofs.xz', None),
    ('squashfs', 'SquashFS image', 'squashfs', None),
    ('squashfs-compressed', 'Compressed SquashFS image', 'squashfs.gz squashfs.xz', None),
    ('wsl', 'Compressed tarball for Windows Subsystem for Linux', 'wsl', None),
]


# --- helpers -----------------------------------------------------------------------------

@pytest.fixture(scope='module')
def ro_conn(template_db):
    """One shared copy for the read-only tests; cloning per test would only cost time."""
    name, dsn = create_test_db(prefix='kojischema')
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()
        drop_test_db(name)


def rows(conn, query, params=None):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def one(conn, query, params=None):
    result = rows(conn, query, params)
    assert len(result) == 1
    return result[0][0] if len(result[0]) == 1 else result[0]


def insert(conn, table, **values):
    """Insert one row and return its id (or None for tables without an id column)."""
    cols = ', '.join(values)
    marks = ', '.join(['%s'] * len(values))
    ret = ' RETURNING id' if 'id' in EXPECTED_COLUMNS[table][1].split() else ''
    with conn.cursor() as cur:
        cur.execute('INSERT INTO %s (%s) VALUES (%s)%s' % (table, cols, marks, ret),
                    list(values.values()))
        return cur.fetchone()[0] if ret else None


def assert_violation(conn, query, params, constraint, error=psycopg2.IntegrityError):
    """Run a statement that must fail on the named constraint; keep the transaction usable."""
    with conn.cursor() as cur:
        cur.execute('SAVEPOINT violation')
        with pytest.raises(error) as info:
            cur.execute(query, params)
        cur.execute('ROLLBACK TO SAVEPOINT violation')
    assert info.value.diag.constraint_name == constraint, info.value.pgerror


def assert_ok(conn, query, params=None):
    with conn.cursor() as cur:
        cur.execute(query, params)


@pytest.fixture
def base(db_conn):
    """A few rows most constraint tests need: users, a package, a tag, a task."""
    conn = db_conn
    ids = {}
    ids['user'] = insert(conn, 'users', name='alice', status=0, usertype=0)
    ids['other'] = insert(conn, 'users', name='bob', status=0, usertype=0)
    ids['pkg'] = insert(conn, 'package', name='foo')
    ids['tag'] = insert(conn, 'tag', name='f40')
    ids['task'] = insert(conn, 'task', state=0, channel_id=1, owner=ids['user'], arch='noarch',
                         method='build')
    return ids


# --- structure ---------------------------------------------------------------------------

def test_table_list(ro_conn):
    found = rows(ro_conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert sorted(r[0] for r in found) == sorted(EXPECTED_COLUMNS)
    assert len(EXPECTED_COLUMNS) == 68


@pytest.mark.parametrize('table', sorted(EXPECTED_COLUMNS))
def test_columns(ro_conn, table):
    versioned, own = EXPECTED_COLUMNS[table]
    expected = own.split() + (VERSION_COLUMNS if versioned else [])
    found = rows(ro_conn, 'SELECT column_name FROM information_schema.columns '
                 "WHERE table_schema = 'public' AND table_name = %s "
                 'ORDER BY ordinal_position', (table,))
    assert [r[0] for r in found] == expected


def _column_details(conn):
    found = rows(conn, """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0
          AND NOT a.attisdropped""")
    return {(r[0], r[1]): tuple(r[2:]) for r in found}


def test_column_types_and_defaults(ro_conn):
    details = _column_details(ro_conn)
    for key, expected in COLUMN_DETAILS.items():
        assert details[key] == expected, key
    for table in VERSIONED_TABLES:
        for col, expected in VERSION_COLUMN_DETAILS.items():
            assert details[(table, col)] == expected, (table, col)


def test_serial_ids(ro_conn):
    details = _column_details(ro_conn)
    seqs = rows(ro_conn, "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
    assert sorted(r[0] for r in seqs) == sorted(t + '_id_seq' for t in SERIAL_TABLES)
    for table in SERIAL_TABLES:
        default = "nextval('%s_id_seq'::regclass)" % table
        assert details[(table, 'id')] == ('integer', True, default)


def test_foreign_keys(ro_conn):
    found = rows(ro_conn, """
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1""")
    expected = set()
    for table, spec in EXPECTED_FKS.items():
        for item in spec.split():
            col, target = item.split('>')
            expected.add((table, col, target))
    for table in VERSIONED_TABLES:
        for col, target in (('create_event', 'events'), ('revoke_event', 'events'),
                            ('creator_id', 'users'), ('revoker_id', 'users')):
            expected.add((table, col, target))
    assert set(found) == expected


def test_special_foreign_keys(ro_conn):
    # build.pkg_id is deferrable so package and build can be written in either order
    deferrable = one(ro_conn, """
        SELECT c.condeferrable FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.conrelid = 'build'::regclass AND c.contype = 'f' AND a.attname = 'pkg_id'""")
    assert deferrable is True
    # rpminfo follows build (id, draft) and cascades updates of the draft flag
    definition = one(ro_conn, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE conname = 'rpminfo_build_id_draft_fkey'")
    assert definition == ('FOREIGN KEY (build_id, draft) REFERENCES build(id, draft) '
                          'ON UPDATE CASCADE')


def test_named_constraints(ro_conn):
    found = set(rows(ro_conn, """
        SELECT conrelid::regclass::text, conname, contype::text FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace"""))
    for item in NAMED_CONSTRAINTS:
        assert item in found


def _key_columns(conn, contype):
    found = rows(conn, """
        SELECT c.conrelid::regclass::text,
               array_to_string(ARRAY(
                   SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(num, pos)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num
                   ORDER BY k.pos), ' ')
        FROM pg_constraint c
        WHERE c.contype = %s AND c.connamespace = 'public'::regnamespace""", (contype,))
    result = {}
    for table, cols in found:
        result.setdefault(table, []).append(cols)
    return result


def test_primary_keys(ro_conn):
    pkeys = _key_columns(ro_conn, 'p')
    for table in EXPECTED_COLUMNS:
        if table in NO_PRIMARY_KEY:
            assert table not in pkeys
        else:
            assert pkeys[table] == [PRIMARY_KEYS.get(table, 'id')], table


def test_active_uniques(ro_conn):
    uniques = _key_columns(ro_conn, 'u')
    for table, expected in ACTIVE_UNIQUES.items():
        with_active = sorted(u for u in uniques[table] if 'active' in u.split())
        assert with_active == sorted(expected), table
    assert sorted(uniques['sessions']) == ['user_id exclusive']
    assert 'pkg_id version release' in uniques['build']
    assert 'id draft' in uniques['build']
    assert uniques['rpm_checksum'] == ['checksum']
    assert sorted(uniques['scheduler_task_refusals']) == ['task_id host_id']


def test_indexes(ro_conn):
    found = rows(ro_conn, """
        SELECT i.relname, t.relname, x.indisunique, x.indexprs IS NOT NULL,
               array_to_string(ARRAY(
                   SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(num, pos)
                   JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.num
                   WHERE k.pos <= x.indnkeyatts ORDER BY k.pos), ' ')
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relnamespace = 'public'::regnamespace""")
    by_name = {r[0]: r[1:] for r in found}
    for name, (table, cols, unique) in EXPECTED_INDEXES.items():
        assert name in by_name, name
        f_table, f_unique, f_expr, f_cols = by_name[name]
        assert (f_table, f_unique) == (table, unique), name
        if cols is None:
            assert f_expr, name
        else:
            assert f_cols == cols, name


def test_partial_and_expression_indexes(ro_conn):
    defs = dict(rows(ro_conn, "SELECT indexname, indexdef FROM pg_indexes "
                     "WHERE schemaname = 'public'"))
    assert 'WHERE (draft IS NOT TRUE)' in defs['rpminfo_unique_nvra_not_draft']
    assert 'WHERE (parent IS NULL)' in defs['task_by_no_parent_state_method']
    assert 'WHERE ((expired = false) AND (master IS NULL))' in \
        defs['sessions_active_and_recent']
    fn_def = defs['rpminfo_filename']
    assert fn_def.endswith('INCLUDE (id)')
    assert "'.rpm'::text" in fn_def


def test_public_select_grant(ro_conn):
    found = rows(ro_conn, "SELECT table_name FROM information_schema.role_table_grants "
                 "WHERE grantee = 'PUBLIC' AND privilege_type = 'SELECT' "
                 "AND table_schema = 'public'")
    assert sorted(r[0] for r in found) == sorted(PUBLIC_SELECT)


def test_event_functions_signature(ro_conn):
    found = rows(ro_conn, """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid),
               format_type(p.prorettype, NULL), l.lanname
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1""")
    assert found == [('get_event', '', 'integer', 'sql'),
                     ('get_event_time', 'integer', 'timestamp with time zone', 'sql')]


# --- initial data ------------------------------------------------------------------------

def test_permissions(ro_conn):
    found = rows(ro_conn, 'SELECT id, name, description FROM permissions ORDER BY id')
    expected = [(i, name, desc) for i, (name, desc) in enumerate(EXPECTED_PERMISSIONS, 1)]
    assert found == expected


def test_channels(ro_conn):
    found = rows(ro_conn, 'SELECT id, name, description, enabled, comment FROM channels '
                 'ORDER BY id')
    assert found == [(i, name, None, True, None)
                     for i, name in enumerate(EXPECTED_CHANNELS, 1)]


def test_volume_default(ro_conn):
    assert rows(ro_conn, 'SELECT id, name FROM volume') == [(0, 'DEFAULT')]
    # the explicit id 0 leaves the sequence alone
    assert one(ro_conn, 'SELECT last_value, is_called FROM volume_id_seq') == (1, False)


def test_btypes(ro_conn):
    found = rows(ro_conn, 'SELECT id, name FROM btype ORDER BY id')
    assert found == [(1, 'rpm'), (2, 'maven'), (3, 'win'), (4, 'image')]


def test_external_repo_internal(ro_conn):
    assert rows(ro_conn, 'SELECT id, name FROM external_repo') == [(0, 'INTERNAL')]


def test_locks(ro_conn):
    found = rows(ro_conn, 'SELECT name FROM locks ORDER BY name')
    assert [r[0] for r in found] == ['protonmsg-plugin', 'repo-queue', 'scheduler']


def test_archivetypes(ro_conn):
    found = rows(ro_conn, 'SELECT id, name, description, extensions, compression_type '
                 'FROM archivetypes ORDER BY id')
    assert len(found) == 76
    assert found == [(i,) + row for i, row in enumerate(EXPECTED_ARCHIVETYPES, 1)]


def test_no_other_seed_data(ro_conn):
    for table in EXPECTED_COLUMNS:
        if table in ('permissions', 'channels', 'volume', 'btype', 'external_repo',
                     'locks', 'archivetypes'):
            continue
        assert one(ro_conn, 'SELECT count(*) FROM %s' % table) == 0, table


# --- events ------------------------------------------------------------------------------

def test_get_event_increases_and_records(db_conn):
    first = one(db_conn, 'SELECT get_event()')
    second = one(db_conn, 'SELECT get_event()')
    assert isinstance(first, int)
    assert second > first
    found = rows(db_conn, 'SELECT id, time FROM events WHERE id IN (%s, %s) ORDER BY id',
                 (first, second))
    assert [r[0] for r in found] == [first, second]
    # clock_timestamp() moves within one transaction, unlike now()
    assert found[0][1] < found[1][1]
    assert one(db_conn, 'SELECT get_event_time(%s)', (second,)) == found[1][1]
    assert isinstance(found[1][1], datetime.datetime)
    assert found[1][1].tzinfo is not None
    assert one(db_conn, 'SELECT get_event_time(%s)', (second + 1000,)) is None


def test_event_defaults_on_insert(db_conn, base):
    before = one(db_conn, 'SELECT coalesce(max(id), 0) FROM events')
    insert(db_conn, 'tag_packages', package_id=base['pkg'], tag_id=base['tag'],
           creator_id=base['user'])
    row = one(db_conn, 'SELECT create_event, active, blocked FROM tag_packages')
    assert row[0] > before
    assert row[1:] == (True, False)
    assert one(db_conn, 'SELECT count(*) FROM events WHERE id = %s', (row[0],)) == 1


def test_event_labels(db_conn):
    event = one(db_conn, 'SELECT get_event()')
    insert(db_conn, 'event_labels', event_id=event, label='release-1')
    assert_violation(db_conn, 'INSERT INTO event_labels (event_id, label) VALUES (%s, %s)',
                     (event, 'release-1'), 'event_labels_label_key')
    assert_violation(db_conn, 'INSERT INTO event_labels (event_id, label) VALUES (%s, %s)',
                     (event + 1000, 'other'), 'event_labels_event_id_fkey')


# --- versioned tables --------------------------------------------------------------------

VERSIONED_INSERT = ('INSERT INTO user_perms (user_id, perm_id, creator_id, create_event, '
                    'revoke_event, revoker_id, active) VALUES (%s, %s, %s, %s, %s, %s, %s)')


def test_active_revoke_sane(db_conn, base):
    user, other = base['user'], base['other']
    ev1 = one(db_conn, 'SELECT get_event()')
    ev2 = one(db_conn, 'SELECT get_event()')
    # still active but revoked
    assert_violation(db_conn, VERSIONED_INSERT, (user, 1, other, ev1, ev2, other, True),
                     'active_revoke_sane')
    # revoked without a revoker
    assert_violation(db_conn, VERSIONED_INSERT, (user, 1, other, ev1, ev2, None, None),
                     'active_revoke_sane')
    # inactive without a revoke event
    assert_violation(db_conn, VERSIONED_INSERT, (user, 1, other, ev1, None, other, None),
                     'active_revoke_sane')
    # active is TRUE or NULL, never FALSE
    assert_violation(db_conn, VERSIONED_INSERT, (user, 1, other, ev1, None, None, False),
                     'user_perms_active_check')
    # the two consistent shapes
    assert_ok(db_conn, VERSIONED_INSERT, (user, 1, other, ev1, ev2, other, None))
    assert_ok(db_conn, VERSIONED_INSERT, (user, 1, other, ev2, None, None, True))


def test_revoke_by_update(db_conn, base):
    user, other = base['user'], base['other']
    insert(db_conn, 'user_perms', user_id=user, perm_id=2, creator_id=other)
    assert_violation(db_conn, 'UPDATE user_perms SET active = NULL', None,
                     'active_revoke_sane')
    assert_ok(db_conn, 'UPDATE user_perms SET active = NULL, revoke_event = get_event(), '
              'revoker_id = %s WHERE active = TRUE', (other,))
    row = one(db_conn, 'SELECT create_event, revoke_event, active FROM user_perms')
    assert row[1] > row[0] and row[2] is None


def test_unique_active(db_conn, base):
    """Any number of revoked rows per key, but only one active one."""
    user, other = base['user'], base['other']
    for _ in range(3):
        ev1 = one(db_conn, 'SELECT get_event()')
        ev2 = one(db_conn, 'SELECT get_event()')
        assert_ok(db_conn, VERSIONED_INSERT, (user, 1, other, ev1, ev2, other, None))
    insert(db_conn, 'user_perms', user_id=user, perm_id=1, creator_id=other)
    assert_violation(db_conn, 'INSERT INTO user_perms (user_id, perm_id, creator_id) '
                     'VALUES (%s, 1, %s)', (user, other),
                     'user_perms_user_id_perm_id_active_key')
    # another key is independent
    insert(db_conn, 'user_perms', user_id=other, perm_id=1, creator_id=other)
    assert one(db_conn, 'SELECT count(*) FROM user_perms WHERE user_id = %s', (user,)) == 4
    assert one(db_conn, 'SELECT count(*) FROM user_perms WHERE active') == 2


def test_unique_active_tag_inheritance(db_conn, base):
    tag, user = base['tag'], base['user']
    parent1 = insert(db_conn, 'tag', name='p1')
    parent2 = insert(db_conn, 'tag', name='p2')
    insert(db_conn, 'tag_inheritance', tag_id=tag, parent_id=parent1, priority=10,
           creator_id=user)
    # same priority twice
    assert_violation(db_conn, 'INSERT INTO tag_inheritance (tag_id, parent_id, priority, '
                     'creator_id) VALUES (%s, %s, 10, %s)', (tag, parent2, user),
                     'tag_inheritance_tag_id_priority_active_key')
    # same parent twice
    assert_violation(db_conn, 'INSERT INTO tag_inheritance (tag_id, parent_id, priority, '
                     'creator_id) VALUES (%s, %s, 20, %s)', (tag, parent1, user),
                     'tag_inheritance_tag_id_parent_id_active_key')


def test_versioned_primary_key(db_conn, base):
    """Two rows for one key can not share a create_event."""
    user, other = base['user'], base['other']
    ev1 = one(db_conn, 'SELECT get_event()')
    ev2 = one(db_conn, 'SELECT get_event()')
    assert_ok(db_conn, VERSIONED_INSERT, (user, 1, other, ev1, ev2, other, None))
    assert_violation(db_conn, VERSIONED_INSERT, (user, 1, other, ev1, None, None, True),
                     'user_perms_pkey')


def test_host_config_checks(db_conn, base):
    host = insert(db_conn, 'host', user_id=base['user'], name='builder1')
    assert one(db_conn, 'SELECT task_load, ready FROM host') == (0.0, False)
    assert_violation(db_conn, 'UPDATE host SET task_load = -1', None, 'host_task_load_check')
    assert_violation(db_conn, 'INSERT INTO host_config (host_id, capacity, creator_id) '
                     'VALUES (%s, 1.0, %s)', (host, base['user']),
                     'host_config_capacity_check')
    insert(db_conn, 'host_config', host_id=host, creator_id=base['user'])
    assert one(db_conn, 'SELECT capacity, enabled FROM host_config') == (2.0, True)


# --- sessions ----------------------------------------------------------------------------

SESSION_INSERT = ('INSERT INTO sessions (user_id, master, "exclusive", closed) '
                  'VALUES (%s, %s, %s, %s) RETURNING id')


def test_sessions_exclusive(db_conn, base):
    user = base['user']
    with db_conn.cursor() as cur:
        cur.execute(SESSION_INSERT, (user, None, None, False))
        master = cur.fetchone()[0]
        cur.execute(SESSION_INSERT, (user, None, None, False))
    # a subsession may not be exclusive
    assert_violation(db_conn, SESSION_INSERT, (user, master, True, False),
                     'no_exclusive_subsessions')
    # a closed session may not stay exclusive
    assert_violation(db_conn, SESSION_INSERT, (user, None, True, True), 'no_closed_exclusive')
    # exclusive is TRUE or NULL
    assert_violation(db_conn, SESSION_INSERT, (user, None, False, False),
                     'sessions_exclusive_check')
    # one exclusive session per user
    assert_ok(db_conn, SESSION_INSERT, (user, None, True, False))
    assert_violation(db_conn, SESSION_INSERT, (user, None, True, False),
                     'sessions_user_id_exclusive_key')
    assert_ok(db_conn, SESSION_INSERT, (base['other'], None, True, False))
    assert_ok(db_conn, SESSION_INSERT, (user, master, None, True))
    row = one(db_conn, 'SELECT expired, closed, start_time IS NOT NULL, '
              'update_time IS NOT NULL FROM sessions WHERE id = %s', (master,))
    assert row == (False, False, True, True)


# --- tasks -------------------------------------------------------------------------------

def test_task_constraints(db_conn, base):
    user, parent = base['user'], base['task']
    sql = ('INSERT INTO task (channel_id, owner, arch, parent, label, weight) '
           'VALUES (1, %s, %s, %s, %s, %s)')
    assert_violation(db_conn, sql, (user, 'noarch', None, 'x', 1.0), 'parent_label_sane')
    assert_ok(db_conn, sql, (user, 'noarch', parent, 'x', 1.0))
    assert_violation(db_conn, sql, (user, 'noarch', parent, 'x', 1.0),
                     'task_parent_label_key')
    assert_violation(db_conn, sql, (user, 'noarch', parent, 'y', -0.5), 'task_weight_check')
    # many top-level tasks without labels are fine
    assert_ok(db_conn, sql, (user, 'noarch', None, None, 0))
    assert_ok(db_conn, sql, (user, 'noarch', None, None, 0))


# --- builds ------------------------------------------------------------------------------

BUILD_INSERT = ('INSERT INTO build (id, volume_id, pkg_id, version, release, draft, state, '
                'owner, completion_time, promotion_time, promoter) '
                'VALUES (%s, 0, %s, %s, %s, %s, %s, %s, %s, %s, %s)')


def _build_id(conn):
    return one(conn, "SELECT nextval('build_id_seq')")


def test_build_completion_sane(db_conn, base):
    pkg, user = base['pkg'], base['user']
    now = datetime.datetime.now(datetime.timezone.utc)
    assert_violation(db_conn, BUILD_INSERT,
                     (_build_id(db_conn), pkg, '1', '1', False, 0, user, now, None, None),
                     'completion_sane')
    assert_violation(db_conn, BUILD_INSERT,
                     (_build_id(db_conn), pkg, '1', '1', False, 1, user, None, None, None),
                     'completion_sane')
    assert_ok(db_conn, BUILD_INSERT,
              (_build_id(db_conn), pkg, '1', '1', False, 1, user, now, None, None))
    assert_ok(db_conn, BUILD_INSERT,
              (_build_id(db_conn), pkg, '1', '2', False, 0, user, None, None, None))
    assert_violation(db_conn, BUILD_INSERT,
                     (_build_id(db_conn), pkg, '1', '1', False, 0, user, None, None, None),
                     'build_pkg_ver_rel')
    row = one(db_conn, "SELECT draft, create_event IS NOT NULL FROM build WHERE release = '1'")
    assert row == (False, True)


def test_build_draft_constraints(db_conn, base):
    pkg, user = base['pkg'], base['user']
    now = datetime.datetime.now(datetime.timezone.utc)
    bid = _build_id(db_conn)
    # a draft release must end with ",draft_<own id>"
    assert_violation(db_conn, BUILD_INSERT,
                     (bid, pkg, '1', '1', True, 0, user, None, None, None),
                     'draft_release_sane')
    assert_violation(db_conn, BUILD_INSERT,
                     (bid, pkg, '1', '1,draft_%d' % (bid + 1), True, 0, user, None, None, None),
                     'draft_release_sane')
    # a draft carries no promotion data
    assert_violation(db_conn, BUILD_INSERT,
                     (bid, pkg, '1', '1,draft_%d' % bid, True, 1, user, now, now, user),
                     'promotion_sane')
    assert_ok(db_conn, BUILD_INSERT,
              (bid, pkg, '1', '1,draft_%d' % bid, True, 1, user, now, None, None))
    # two drafts of the same NVR differ by their suffix
    bid2 = _build_id(db_conn)
    assert_ok(db_conn, BUILD_INSERT,
              (bid2, pkg, '1', '1,draft_%d' % bid2, True, 1, user, now, None, None))
    # promotion: drop the suffix, clear draft, record who and when
    assert_ok(db_conn, "UPDATE build SET draft = FALSE, release = '1', promotion_time = %s, "
              'promoter = %s WHERE id = %s', (now, user, bid))
    # a non-draft release may contain anything
    assert_ok(db_conn, BUILD_INSERT,
              (_build_id(db_conn), pkg, '2', '1,draft_1', False, 1, user, now, None, None))


# --- rpms --------------------------------------------------------------------------------

RPM_INSERT = ('INSERT INTO rpminfo (build_id, draft, external_repo_id, name, version, '
              'release, arch, payloadhash, size, buildtime) '
              "VALUES (%s, %s, %s, %s, '1', '1', 'x86_64', 'abc', 10, 1000)")


def _make_build(conn, base, draft):
    bid = _build_id(conn)
    release = '1,draft_%d' % bid if draft else '1'
    now = datetime.datetime.now(datetime.timezone.utc)
    assert_ok(conn, BUILD_INSERT, (bid, base['pkg'], str(bid), release, draft, 1,
                                   base['user'], now, None, None))
    return bid


def test_rpminfo_follows_build_draft(db_conn, base):
    normal = _make_build(db_conn, base, draft=False)
    draft = _make_build(db_conn, base, draft=True)
    # the draft flag must match the build's
    assert_violation(db_conn, RPM_INSERT, (normal, True, 0, 'foo'),
                     'rpminfo_build_id_draft_fkey')
    assert_violation(db_conn, RPM_INSERT, (draft, False, 0, 'foo'),
                     'rpminfo_build_id_draft_fkey')
    assert_violation(db_conn, RPM_INSERT, (normal + 1000, False, 0, 'foo'),
                     'rpminfo_build_id_draft_fkey')
    assert_ok(db_conn, RPM_INSERT, (normal, False, 0, 'foo'))
    assert_ok(db_conn, RPM_INSERT, (draft, True, 0, 'foo-draft'))
    # promoting the build carries the rpms along
    assert_ok(db_conn, "UPDATE build SET draft = FALSE, release = 'p' WHERE id = %s", (draft,))
    assert one(db_conn, "SELECT draft FROM rpminfo WHERE name = 'foo-draft'") is False


def test_rpminfo_internal_vs_external(db_conn, base):
    normal = _make_build(db_conn, base, draft=False)
    ext = insert(db_conn, 'external_repo', name='fedora')
    assert ext == 1
    # internal rpms need a build and the draft flag
    assert_violation(db_conn, RPM_INSERT, (None, None, 0, 'foo'),
                     'build_id_draft_external_repo_id_sane')
    # external rpms have neither
    assert_violation(db_conn, RPM_INSERT, (normal, False, ext, 'foo'),
                     'build_id_draft_external_repo_id_sane')
    assert_violation(db_conn, RPM_INSERT, (None, None, 99, 'foo'),
                     'rpminfo_external_repo_id_fkey')
    assert_ok(db_conn, RPM_INSERT, (None, None, ext, 'foo'))
    assert_ok(db_conn, RPM_INSERT, (normal, False, 0, 'foo'))


def test_rpminfo_nvra_unique_except_drafts(db_conn, base):
    draft1 = _make_build(db_conn, base, draft=True)
    draft2 = _make_build(db_conn, base, draft=True)
    normal1 = _make_build(db_conn, base, draft=False)
    normal2 = _make_build(db_conn, base, draft=False)
    assert_ok(db_conn, RPM_INSERT, (draft1, True, 0, 'same'))
    assert_ok(db_conn, RPM_INSERT, (draft2, True, 0, 'same'))
    assert_ok(db_conn, RPM_INSERT, (normal1, False, 0, 'same'))
    assert_violation(db_conn, RPM_INSERT, (normal2, False, 0, 'same'),
                     'rpminfo_unique_nvra_not_draft')
    # promoting a draft whose NVRA now exists as a real rpm is refused
    with pytest.raises(psycopg2.IntegrityError):
        assert_ok(db_conn, "UPDATE build SET draft = FALSE, release = 'p' WHERE id = %s",
                  (draft1,))


def test_rpm_side_tables(db_conn, base):
    normal = _make_build(db_conn, base, draft=False)
    with db_conn.cursor() as cur:
        cur.execute(RPM_INSERT + ' RETURNING id', (normal, False, 0, 'foo'))
        rpm = cur.fetchone()[0]
    insert(db_conn, 'rpmsigs', rpm_id=rpm, sigkey='abcd', sighash='h1')
    assert_violation(db_conn, 'INSERT INTO rpmsigs (rpm_id, sigkey, sighash) '
                     "VALUES (%s, 'abcd', 'h2')", (rpm,), 'rpmsigs_no_resign')
    insert(db_conn, 'rpm_checksum', rpm_id=rpm, sigkey='', checksum='c1', checksum_type=2)
    assert_violation(db_conn, 'INSERT INTO rpm_checksum (rpm_id, sigkey, checksum, '
                     "checksum_type) VALUES (%s, 'abcd', 'c1', 2)", (rpm,),
                     'rpm_checksum_checksum_key')


# --- other tables ------------------------------------------------------------------------

def test_repo_and_queue(db_conn, base):
    tag, user = base['tag'], base['user']
    repo = insert(db_conn, 'repo', tag_id=tag, state=0)
    row = one(db_conn, 'SELECT create_event IS NOT NULL, dist, creation_time IS NOT NULL '
              'FROM repo WHERE id = %s', (repo,))
    assert row == (True, False, True)
    sql = ('INSERT INTO repo_queue (owner, priority, tag_id, at_event, min_event, opts, '
           'active, repo_id) VALUES (%s, 10, %s, %s, %s, %s, %s, %s)')
    event = one(db_conn, 'SELECT get_event()')
    assert_violation(db_conn, sql, (user, tag, event, event, '{}', True, None),
                     'only_one_event')
    assert_violation(db_conn, sql, (user, tag, None, event, '{}', True, repo), 'active_sane')
    assert_ok(db_conn, sql, (user, tag, None, event, '{}', False, repo))
    assert_ok(db_conn, sql, (user, tag, event, None, '{"src": true}', True, None))
    assert one(db_conn, 'SELECT count(*) FROM repo_queue WHERE tries = 0') == 2


def test_buildroot_checks(db_conn, base):
    sql = ('INSERT INTO buildroot (br_type, cg_id, cg_version, container_type, '
           'container_arch) VALUES (1, %s, %s, %s, %s)')
    cg = insert(db_conn, 'content_generator', name='osbs')
    assert_violation(db_conn, sql, (cg, None, None, None), 'cg_sane')
    assert_violation(db_conn, sql, (None, '1.0', None, None), 'cg_sane')
    assert_violation(db_conn, sql, (None, None, 'chroot', None), 'container_sane')
    assert_ok(db_conn, sql, (cg, '1.0', 'chroot', 'x86_64'))
    assert_ok(db_conn, sql, (None, None, None, None))


def test_tag_external_repos_default_merge_mode(db_conn, base):
    ext = insert(db_conn, 'external_repo', name='centos')
    insert(db_conn, 'tag_external_repos', tag_id=base['tag'], external_repo_id=ext,
           priority=5, creator_id=base['user'])
    assert one(db_conn, 'SELECT merge_mode FROM tag_external_repos') == 'koji'


def test_locks_can_be_taken(db_conn):
    assert one(db_conn, "SELECT name FROM locks WHERE name = 'scheduler' FOR UPDATE") == \
        'scheduler'
