-- Koji database schema, level 1.37.
--
-- Load into an empty database with:
--     psql -v ON_ERROR_STOP=1 -d DBNAME -f schemas/schema.sql
--
-- The whole load is one transaction: either every object and seed row
-- is created or nothing is.  Tables are listed so that every foreign key
-- points at a table defined earlier in the file.
--
-- History tables ("versioned" tables) all share five columns:
--     create_event  event that made the row (defaults to a fresh event)
--     revoke_event  event that retired the row, NULL while current
--     creator_id    user who made the row
--     revoker_id    user who retired the row, NULL while current
--     active        TRUE while current, NULL once retired (never FALSE)
-- A UNIQUE constraint over (natural key, active) lets any number of retired
-- rows coexist with at most one current row, because NULLs never compare equal.

BEGIN WORK;


-- ---------------------------------------------------------------------------
-- Events: a global clock.  Every change to history data is stamped with one.
-- ---------------------------------------------------------------------------

CREATE TABLE events (
    id SERIAL NOT NULL PRIMARY KEY,
    time TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
) WITHOUT OIDS;

-- Allocate a new event and hand back its id.
CREATE FUNCTION get_event() RETURNS INTEGER AS $$
    INSERT INTO events (time) VALUES (clock_timestamp());
    SELECT currval('events_id_seq')::INTEGER;
$$ LANGUAGE SQL;

-- Look up when an event happened.
CREATE FUNCTION get_event_time(INTEGER) RETURNS TIMESTAMPTZ AS $$
    SELECT time FROM events WHERE id = $1;
$$ LANGUAGE SQL;

CREATE TABLE event_labels (
    event_id INTEGER NOT NULL REFERENCES events (id),
    label VARCHAR(255) UNIQUE NOT NULL
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- Users, groups, permissions and sessions
-- ---------------------------------------------------------------------------

-- Plain users, build hosts (usertype 1) and groups (usertype 2).
CREATE TABLE users (
    id SERIAL NOT NULL PRIMARY KEY,
    name VARCHAR(255) UNIQUE NOT NULL,
    password VARCHAR(255),
    status INTEGER NOT NULL,
    usertype INTEGER NOT NULL
) WITHOUT OIDS;

CREATE TABLE user_krb_principals (
    user_id INTEGER NOT NULL REFERENCES users (id),
    krb_principal VARCHAR(255) NOT NULL UNIQUE,
    PRIMARY KEY (user_id, krb_principal)
) WITHOUT OIDS;

CREATE TABLE permissions (
    id SERIAL NOT NULL PRIMARY KEY,
    name VARCHAR(50) UNIQUE NOT NULL,
    description TEXT
) WITHOUT OIDS;

INSERT INTO permissions (name, description) VALUES
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
    ('win-admin', 'The default hub policy rule for "vm" requires this permission '
                  'to trigger Windows builds.'),
    ('win-import', 'Import win archives.'),
    ('draft-promoter', 'The permission required in the default "draft_promotion" '
                       'hub policy rule to promote draft build.');

CREATE TABLE user_perms (
    user_id INTEGER NOT NULL REFERENCES users (id),
    perm_id INTEGER NOT NULL REFERENCES permissions (id),
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, user_id, perm_id),
    UNIQUE (user_id, perm_id, active)
) WITHOUT OIDS;

-- Membership of a user in a group (both are rows of users).
CREATE TABLE user_groups (
    user_id INTEGER NOT NULL REFERENCES users (id),
    group_id INTEGER NOT NULL REFERENCES users (id),
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, user_id, group_id),
    UNIQUE (user_id, group_id, active)
) WITHOUT OIDS;

-- Login sessions.  Subsessions point at their top-level session via master.
-- "exclusive" is TRUE or NULL so that UNIQUE (user_id, exclusive) allows only
-- one exclusive session per user.
CREATE TABLE sessions (
    id SERIAL NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    expired BOOLEAN NOT NULL DEFAULT FALSE,
    master INTEGER REFERENCES sessions (id),
    key VARCHAR(255),
    authtype INTEGER,
    hostip VARCHAR(255),
    callnum INTEGER,
    start_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    update_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    "exclusive" BOOLEAN CHECK ("exclusive"),
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    renew_time TIMESTAMPTZ,
    CONSTRAINT no_exclusive_subsessions CHECK (master IS NULL OR "exclusive" IS NULL),
    CONSTRAINT no_closed_exclusive CHECK (closed IS FALSE OR "exclusive" IS NULL),
    UNIQUE (user_id, "exclusive")
) WITHOUT OIDS;

CREATE INDEX sessions_master ON sessions (master);
CREATE INDEX sessions_active_and_recent ON sessions (expired, master, update_time)
    WHERE (expired = FALSE AND master IS NULL);
CREATE INDEX sessions_expired ON sessions (expired);


-- ---------------------------------------------------------------------------
-- Channels, hosts and tasks
-- ---------------------------------------------------------------------------

CREATE TABLE channels (
    id SERIAL NOT NULL PRIMARY KEY,
    name VARCHAR(128) UNIQUE NOT NULL,
    description TEXT,
    enabled BOOLEAN NOT NULL DEFAULT 'true',
    comment TEXT
) WITHOUT OIDS;

INSERT INTO channels (name) VALUES
    ('default'),
    ('createrepo'),
    ('maven'),
    ('livecd'),
    ('appliance'),
    ('vm'),
    ('image'),
    ('livemedia');

-- Each host also owns a users row (usertype 1) for authentication.
CREATE TABLE host (
    id SERIAL NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name VARCHAR(128) UNIQUE NOT NULL,
    update_time TIMESTAMPTZ,
    task_load FLOAT CHECK (NOT task_load < 0) NOT NULL DEFAULT 0.0,
    ready BOOLEAN NOT NULL DEFAULT 'false'
) WITHOUT OIDS;

CREATE TABLE host_config (
    host_id INTEGER NOT NULL REFERENCES host (id),
    arches TEXT,
    capacity FLOAT CHECK (capacity > 1) NOT NULL DEFAULT 2.0,
    description TEXT,
    comment TEXT,
    enabled BOOLEAN NOT NULL DEFAULT 'true',
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id),
    UNIQUE (host_id, active)
) WITHOUT OIDS;

CREATE INDEX host_config_by_active_and_enabled ON host_config (active, enabled);

CREATE TABLE host_channels (
    host_id INTEGER NOT NULL REFERENCES host (id),
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id, channel_id),
    UNIQUE (host_id, channel_id, active)
) WITHOUT OIDS;

-- Tasks form a tree through parent; request and result hold XML-RPC text.
CREATE TABLE task (
    id SERIAL NOT NULL PRIMARY KEY,
    state INTEGER,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    start_time TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    host_id INTEGER REFERENCES host (id),
    parent INTEGER REFERENCES task (id),
    label VARCHAR(255),
    waiting BOOLEAN,
    awaited BOOLEAN,
    owner INTEGER REFERENCES users (id) NOT NULL,
    method TEXT,
    request TEXT,
    result TEXT,
    eta INTEGER,
    arch VARCHAR(16) NOT NULL,
    priority INTEGER,
    weight FLOAT CHECK (NOT weight < 0) NOT NULL DEFAULT 1.0,
    CONSTRAINT parent_label_sane CHECK (parent IS NOT NULL OR label IS NULL),
    UNIQUE (parent, label)
) WITHOUT OIDS;

CREATE INDEX task_by_state ON task (state);
CREATE INDEX task_by_host ON task (host_id);
CREATE INDEX task_by_no_parent_state_method ON task (parent, state, method)
    WHERE parent IS NULL;


-- ---------------------------------------------------------------------------
-- Packages, volumes, content generators and builds
-- ---------------------------------------------------------------------------

CREATE TABLE package (
    id SERIAL NOT NULL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
) WITHOUT OIDS;

CREATE TABLE volume (
    id SERIAL NOT NULL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
) WITHOUT OIDS;

-- The main volume gets id 0; the sequence is left alone on purpose.
INSERT INTO volume (id, name) VALUES (0, 'DEFAULT');

CREATE TABLE content_generator (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
) WITHOUT OIDS;

-- A build is one NVR.  Draft builds carry ",draft_<id>" at the end of their
-- release so they never clash with the real NVR; (id, draft) is unique so
-- that rpminfo can follow the draft flag through a composite foreign key.
CREATE TABLE build (
    id SERIAL NOT NULL PRIMARY KEY,
    volume_id INTEGER NOT NULL REFERENCES volume (id),
    pkg_id INTEGER NOT NULL REFERENCES package (id) DEFERRABLE,
    version TEXT NOT NULL,
    release TEXT NOT NULL,
    epoch INTEGER,
    draft BOOLEAN NOT NULL DEFAULT 'false',
    source TEXT,
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    start_time TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    promotion_time TIMESTAMPTZ,
    state INTEGER NOT NULL,
    task_id INTEGER REFERENCES task (id),
    owner INTEGER NOT NULL REFERENCES users (id),
    promoter INTEGER REFERENCES users (id),
    cg_id INTEGER REFERENCES content_generator (id),
    extra TEXT,
    CONSTRAINT build_pkg_ver_rel UNIQUE (pkg_id, version, release),
    CONSTRAINT draft_for_rpminfo UNIQUE (id, draft),
    CONSTRAINT completion_sane CHECK (
        (state = 0 AND completion_time IS NULL)
        OR (state <> 0 AND completion_time IS NOT NULL)),
    CONSTRAINT promotion_sane CHECK (
        NOT draft OR (promotion_time IS NULL AND promoter IS NULL)),
    CONSTRAINT draft_release_sane CHECK (
        NOT draft OR release ~ ('^.*,draft_' || id::TEXT || '$'))
) WITHOUT OIDS;

CREATE INDEX build_by_pkg_id ON build (pkg_id);
CREATE INDEX build_completion ON build (completion_time);

CREATE TABLE btype (
    id SERIAL NOT NULL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
) WITHOUT OIDS;

-- The legacy build types.
INSERT INTO btype (name) VALUES ('rpm');
INSERT INTO btype (name) VALUES ('maven');
INSERT INTO btype (name) VALUES ('win');
INSERT INTO btype (name) VALUES ('image');

CREATE TABLE build_types (
    build_id INTEGER NOT NULL REFERENCES build (id),
    btype_id INTEGER NOT NULL REFERENCES btype (id),
    PRIMARY KEY (build_id, btype_id)
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- Tags and build targets
-- ---------------------------------------------------------------------------

CREATE TABLE tag (
    id SERIAL NOT NULL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
) WITHOUT OIDS;

-- Parent links; priority orders the parents of one tag.
CREATE TABLE tag_inheritance (
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    parent_id INTEGER NOT NULL REFERENCES tag (id),
    priority INTEGER NOT NULL,
    maxdepth INTEGER,
    intransitive BOOLEAN NOT NULL DEFAULT 'false',
    noconfig BOOLEAN NOT NULL DEFAULT 'false',
    pkg_filter TEXT,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, priority),
    UNIQUE (tag_id, priority, active),
    UNIQUE (tag_id, parent_id, active)
) WITHOUT OIDS;

CREATE INDEX tag_inheritance_by_parent ON tag_inheritance (parent_id);

CREATE TABLE tag_config (
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    arches TEXT,
    perm_id INTEGER REFERENCES permissions (id),
    locked BOOLEAN NOT NULL DEFAULT 'false',
    maven_support BOOLEAN NOT NULL DEFAULT FALSE,
    maven_include_all BOOLEAN NOT NULL DEFAULT FALSE,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id),
    UNIQUE (tag_id, active)
) WITHOUT OIDS;

-- Free-form tag options; value is JSON, NULL marks a key blocked for children.
CREATE TABLE tag_extra (
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    key TEXT NOT NULL,
    value TEXT,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, key),
    UNIQUE (tag_id, key, active)
) WITHOUT OIDS;

-- Changes to a tag that are not visible in its own history tables.
CREATE TABLE tag_updates (
    id SERIAL NOT NULL PRIMARY KEY,
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    update_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    updater_id INTEGER NOT NULL REFERENCES users (id),
    update_type INTEGER NOT NULL
) WITHOUT OIDS;

CREATE INDEX tag_updates_by_tag ON tag_updates (tag_id);
CREATE INDEX tag_updates_by_event ON tag_updates (update_event);

CREATE TABLE build_target (
    id SERIAL NOT NULL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
) WITHOUT OIDS;

CREATE TABLE build_target_config (
    build_target_id INTEGER NOT NULL REFERENCES build_target (id),
    build_tag INTEGER NOT NULL REFERENCES tag (id),
    dest_tag INTEGER NOT NULL REFERENCES tag (id),
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, build_target_id),
    UNIQUE (build_target_id, active)
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- Repositories and the repo request queue
-- ---------------------------------------------------------------------------

-- create_event is the point in tag history the repo content comes from;
-- begin_event/end_event bracket the range of history it stays valid for.
CREATE TABLE repo (
    id SERIAL NOT NULL PRIMARY KEY,
    creation_time TIMESTAMPTZ DEFAULT NOW(),
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    state_time TIMESTAMPTZ DEFAULT NOW(),
    begin_event INTEGER REFERENCES events (id),
    end_event INTEGER REFERENCES events (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    state INTEGER,
    dist BOOLEAN DEFAULT 'false',
    opts JSONB,
    custom_opts JSONB,
    task_id INTEGER NULL REFERENCES task (id)
) WITHOUT OIDS;

CREATE TABLE repo_queue (
    id SERIAL NOT NULL PRIMARY KEY,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    owner INTEGER REFERENCES users (id) NOT NULL,
    priority INTEGER NOT NULL,
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    at_event INTEGER REFERENCES events (id),
    min_event INTEGER REFERENCES events (id),
    opts JSONB NOT NULL,
    CONSTRAINT only_one_event CHECK (at_event IS NULL OR min_event IS NULL),
    update_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    task_id INTEGER REFERENCES task (id),
    tries INTEGER NOT NULL DEFAULT 0,
    repo_id INTEGER REFERENCES repo (id),
    CONSTRAINT active_sane CHECK (NOT active OR repo_id IS NULL)
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- External repositories
-- ---------------------------------------------------------------------------

CREATE TABLE external_repo (
    id SERIAL NOT NULL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);

-- Pseudo repository that rpminfo rows of locally built rpms point at.
INSERT INTO external_repo (id, name) VALUES (0, 'INTERNAL');

CREATE TABLE external_repo_config (
    external_repo_id INTEGER NOT NULL REFERENCES external_repo (id),
    url TEXT NOT NULL,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, external_repo_id),
    UNIQUE (external_repo_id, active)
) WITHOUT OIDS;

-- Data kojira learns about an external repo (e.g. newest repomd timestamp).
CREATE TABLE external_repo_data (
    external_repo_id INTEGER NOT NULL REFERENCES external_repo (id),
    data JSONB,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, external_repo_id),
    UNIQUE (external_repo_id, active)
) WITHOUT OIDS;

-- merge_mode is one of koji, simple, bare.
CREATE TABLE tag_external_repos (
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    external_repo_id INTEGER NOT NULL REFERENCES external_repo (id),
    priority INTEGER NOT NULL,
    merge_mode TEXT NOT NULL DEFAULT 'koji',
    arches TEXT,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, priority),
    UNIQUE (tag_id, priority, active),
    UNIQUE (tag_id, external_repo_id, active)
);


-- ---------------------------------------------------------------------------
-- Content generator access and build reservations
-- ---------------------------------------------------------------------------

CREATE TABLE cg_users (
    cg_id INTEGER NOT NULL REFERENCES content_generator (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, cg_id, user_id),
    UNIQUE (cg_id, user_id, active)
) WITHOUT OIDS;

CREATE TABLE build_reservations (
    build_id INTEGER NOT NULL REFERENCES build (id),
    token VARCHAR(64),
    created TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (build_id)
) WITHOUT OIDS;

CREATE INDEX build_reservations_created ON build_reservations (created);


-- ---------------------------------------------------------------------------
-- Buildroots
-- ---------------------------------------------------------------------------

-- Common buildroot data; koji-managed ones add a standard_buildroot row.
CREATE TABLE buildroot (
    id SERIAL NOT NULL PRIMARY KEY,
    br_type INTEGER NOT NULL,
    cg_id INTEGER REFERENCES content_generator (id),
    cg_version TEXT,
    CONSTRAINT cg_sane CHECK (
        (cg_id IS NULL AND cg_version IS NULL)
        OR (cg_id IS NOT NULL AND cg_version IS NOT NULL)),
    container_type TEXT,
    container_arch TEXT,
    CONSTRAINT container_sane CHECK (
        (container_type IS NULL AND container_arch IS NULL)
        OR (container_type IS NOT NULL AND container_arch IS NOT NULL)),
    host_os TEXT,
    host_arch TEXT,
    extra TEXT
) WITHOUT OIDS;

CREATE TABLE standard_buildroot (
    buildroot_id INTEGER NOT NULL PRIMARY KEY REFERENCES buildroot (id),
    host_id INTEGER NOT NULL REFERENCES host (id),
    repo_id INTEGER NOT NULL REFERENCES repo (id),
    task_id INTEGER NOT NULL REFERENCES task (id),
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    retire_event INTEGER,
    state INTEGER
) WITHOUT OIDS;

CREATE TABLE buildroot_tools_info (
    buildroot_id INTEGER NOT NULL REFERENCES buildroot (id),
    tool TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (buildroot_id, tool)
) WITHOUT OIDS;

CREATE TABLE image_builds (
    build_id INTEGER NOT NULL PRIMARY KEY REFERENCES build (id)
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- Tag content: builds, packages, owners
-- ---------------------------------------------------------------------------

CREATE TABLE tag_listing (
    build_id INTEGER NOT NULL REFERENCES build (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, build_id, tag_id),
    UNIQUE (build_id, tag_id, active)
) WITHOUT OIDS;

CREATE INDEX tag_listing_tag_id_key ON tag_listing (tag_id);

CREATE TABLE tag_packages (
    package_id INTEGER NOT NULL REFERENCES package (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    extra_arches TEXT,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, package_id, tag_id),
    UNIQUE (package_id, tag_id, active)
) WITHOUT OIDS;

CREATE INDEX tag_packages_active_tag_id ON tag_packages (active, tag_id);
CREATE INDEX tag_packages_create_event ON tag_packages (create_event);
CREATE INDEX tag_packages_revoke_event ON tag_packages (revoke_event);

CREATE TABLE tag_package_owners (
    package_id INTEGER NOT NULL REFERENCES package (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    owner INTEGER NOT NULL REFERENCES users (id),
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, package_id, tag_id),
    UNIQUE (package_id, tag_id, active)
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- Comps groups attached to tags
-- ---------------------------------------------------------------------------

-- name is the comps group id.
CREATE TABLE groups (
    id SERIAL NOT NULL PRIMARY KEY,
    name VARCHAR(50) UNIQUE NOT NULL
) WITHOUT OIDS;

CREATE TABLE group_config (
    group_id INTEGER NOT NULL REFERENCES groups (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    exported BOOLEAN DEFAULT TRUE,
    display_name TEXT NOT NULL,
    is_default BOOLEAN,
    uservisible BOOLEAN,
    description TEXT,
    langonly TEXT,
    biarchonly BOOLEAN,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id),
    UNIQUE (group_id, tag_id, active)
) WITHOUT OIDS;

CREATE TABLE group_req_listing (
    group_id INTEGER NOT NULL REFERENCES groups (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    req_id INTEGER NOT NULL REFERENCES groups (id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    type VARCHAR(25),
    is_metapkg BOOLEAN NOT NULL DEFAULT FALSE,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id, req_id),
    UNIQUE (group_id, tag_id, req_id, active)
) WITHOUT OIDS;

-- package is an rpm name, deliberately not a reference to package.
CREATE TABLE group_package_listing (
    group_id INTEGER NOT NULL REFERENCES groups (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    package TEXT,
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    type VARCHAR(25) NOT NULL,
    basearchonly BOOLEAN,
    requires TEXT,
    -- history columns
    create_event INTEGER NOT NULL REFERENCES events (id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events (id),
    creator_id INTEGER NOT NULL REFERENCES users (id),
    revoker_id INTEGER REFERENCES users (id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id, package),
    UNIQUE (group_id, tag_id, package, active)
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- RPMs
-- ---------------------------------------------------------------------------

-- Local rpms (external_repo_id 0) belong to a build and copy its draft flag
-- through the (build_id, draft) foreign key; rpms from external repos have
-- neither.  Only non-draft rpms must have a unique NVRA per repo.
CREATE TABLE rpminfo (
    id SERIAL NOT NULL PRIMARY KEY,
    build_id INTEGER,
    buildroot_id INTEGER REFERENCES buildroot (id),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    release TEXT NOT NULL,
    epoch INTEGER,
    arch VARCHAR(16) NOT NULL,
    draft BOOLEAN,
    external_repo_id INTEGER NOT NULL REFERENCES external_repo (id),
    payloadhash TEXT NOT NULL,
    size BIGINT NOT NULL,
    buildtime BIGINT NOT NULL,
    metadata_only BOOLEAN NOT NULL DEFAULT FALSE,
    extra TEXT,
    CONSTRAINT rpminfo_build_id_draft_fkey FOREIGN KEY (build_id, draft)
        REFERENCES build (id, draft) ON UPDATE CASCADE,
    CONSTRAINT build_id_draft_external_repo_id_sane CHECK (
        (draft IS NULL AND build_id IS NULL AND external_repo_id <> 0)
        OR (draft IS NOT NULL AND build_id IS NOT NULL AND external_repo_id = 0))
) WITHOUT OIDS;

CREATE INDEX rpminfo_build ON rpminfo (build_id);
CREATE UNIQUE INDEX rpminfo_unique_nvra_not_draft
    ON rpminfo (name, version, release, arch, external_repo_id)
    WHERE draft IS NOT TRUE;
CREATE INDEX rpminfo_nvra ON rpminfo (name, version, release, arch, external_repo_id);

-- Lookup by file name.  Covering (INCLUDE) indexes need PostgreSQL 11+.
DO $$
BEGIN
    IF current_setting('server_version_num')::INTEGER >= 110000 THEN
        EXECUTE 'CREATE INDEX rpminfo_filename ON rpminfo '
                '((name || ''-'' || version || ''-'' || release || ''.'' || arch || ''.rpm'')) '
                'INCLUDE (id)';
    ELSE
        EXECUTE 'CREATE INDEX rpminfo_filename ON rpminfo '
                '((name || ''-'' || version || ''-'' || release || ''.'' || arch || ''.rpm''))';
    END IF;
END
$$;

CREATE TABLE rpmsigs (
    rpm_id INTEGER NOT NULL REFERENCES rpminfo (id),
    sigkey TEXT NOT NULL,
    sighash TEXT NOT NULL,
    CONSTRAINT rpmsigs_no_resign UNIQUE (rpm_id, sigkey)
) WITHOUT OIDS;

-- The rpms installed in a buildroot.
CREATE TABLE buildroot_listing (
    buildroot_id INTEGER NOT NULL REFERENCES buildroot (id),
    rpm_id INTEGER NOT NULL REFERENCES rpminfo (id),
    is_update BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (buildroot_id, rpm_id)
) WITHOUT OIDS;

CREATE INDEX buildroot_listing_rpms ON buildroot_listing (rpm_id);


-- ---------------------------------------------------------------------------
-- Build notifications
-- ---------------------------------------------------------------------------

CREATE TABLE build_notifications (
    id SERIAL NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    package_id INTEGER REFERENCES package (id),
    tag_id INTEGER REFERENCES tag (id),
    success_only BOOLEAN NOT NULL DEFAULT FALSE,
    email TEXT NOT NULL
) WITHOUT OIDS;

CREATE TABLE build_notifications_block (
    id SERIAL NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    package_id INTEGER REFERENCES package (id),
    tag_id INTEGER REFERENCES tag (id)
) WITHOUT OIDS;


GRANT SELECT ON build, package, task, tag, tag_listing, tag_config, tag_inheritance,
    tag_packages, rpminfo TO PUBLIC;


-- ---------------------------------------------------------------------------
-- Typed builds (maven, windows) and archives
-- ---------------------------------------------------------------------------

CREATE TABLE maven_builds (
    build_id INTEGER NOT NULL PRIMARY KEY REFERENCES build (id),
    group_id TEXT NOT NULL,
    artifact_id TEXT NOT NULL,
    version TEXT NOT NULL
) WITHOUT OIDS;

CREATE TABLE win_builds (
    build_id INTEGER NOT NULL PRIMARY KEY REFERENCES build (id),
    platform TEXT NOT NULL
) WITHOUT OIDS;

-- Known archive kinds; extensions is a space separated list.
CREATE TABLE archivetypes (
    id SERIAL NOT NULL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    extensions TEXT NOT NULL,
    compression_type TEXT
) WITHOUT OIDS;

-- Row order fixes the ids, so new types are only ever appended.
INSERT INTO archivetypes (name, description, extensions, compression_type) VALUES
    ('jar', 'Jar file', 'jar war rar ear sar jdocbook jdocbook-style', 'zip'),
    ('zip', 'Zip file', 'zip', 'zip'),
    ('pom', 'Maven Project Object Management file', 'pom', NULL),
    ('tar', 'Tar file', 'tar tar.gz tar.bz2 tar.xz tgz', 'tar'),
    ('xml', 'XML file', 'xml', NULL),
    ('xmlcompressed', 'Compressed XML file', 'xml.gz xml.bz2 xml.xz', NULL),
    ('xsd', 'XML Schema Definition', 'xsd', NULL),
    ('spec', 'RPM spec file', 'spec', NULL),
    ('exe', 'Windows executable', 'exe', NULL),
    ('dll', 'Windows dynamic link library', 'dll', NULL),
    ('lib', 'Windows import library', 'lib', NULL),
    ('sys', 'Windows device driver', 'sys', NULL),
    ('inf', 'Windows driver information file', 'inf', NULL),
    ('cat', 'Windows catalog file', 'cat', NULL),
    ('msi', 'Windows Installer package', 'msi', NULL),
    ('pdb', 'Windows debug information', 'pdb', NULL),
    ('oem', 'Windows driver oem file', 'oem', NULL),
    ('iso', 'CD/DVD Image', 'iso', NULL),
    ('raw', 'Raw disk image', 'raw', NULL),
    ('qcow', 'QCOW image', 'qcow', NULL),
    ('qcow2', 'QCOW2 image', 'qcow2', NULL),
    ('vmdk', 'vSphere image', 'vmdk', NULL),
    ('ova', 'Open Virtualization Archive', 'ova', NULL),
    ('ks', 'Kickstart', 'ks', NULL),
    ('cfg', 'Configuration file', 'cfg', NULL),
    ('vdi', 'VirtualBox Virtual Disk Image', 'vdi', NULL),
    ('aar', 'Binary distribution of an Android Library project', 'aar', NULL),
    ('apklib', 'Source distribution of an Android Library project', 'apklib', NULL),
    ('cab', 'Windows cabinet file', 'cab', NULL),
    ('dylib', 'OS X dynamic library', 'dylib', NULL),
    ('gem', 'Ruby gem', 'gem', NULL),
    ('ini', 'INI config file', 'ini', NULL),
    ('js', 'Javascript file', 'js', NULL),
    ('ldif', 'LDAP Data Interchange Format file', 'ldif', NULL),
    ('manifest', 'Runtime environment for .NET applications', 'manifest', NULL),
    ('msm', 'Windows merge module', 'msm', NULL),
    ('properties', 'Properties file', 'properties', NULL),
    ('sig', 'Signature file', 'sig signature', NULL),
    ('so', 'Shared library', 'so', NULL),
    ('txt', 'Text file', 'txt', NULL),
    ('vhd', 'Hyper-V image', 'vhd', NULL),
    ('vhdx', 'Hyper-V Virtual Hard Disk v2 image', 'vhdx', NULL),
    ('wsf', 'Windows script file', 'wsf', NULL),
    ('box', 'Vagrant Box Image', 'box', NULL),
    ('raw-xz', 'xz compressed raw disk image', 'raw.xz', NULL),
    ('json', 'JSON data', 'json', NULL),
    ('key', 'Key file', 'key', NULL),
    ('dot', 'DOT graph description', 'dot gv', NULL),
    ('groovy', 'Groovy script file', 'groovy gvy', NULL),
    ('batch', 'Batch file', 'bat', NULL),
    ('shell', 'Shell script', 'sh', NULL),
    ('rc', 'Resource file', 'rc', NULL),
    ('wsdl', 'Web Services Description Language', 'wsdl', NULL),
    ('obr', 'OSGi Bundle Repository', 'obr', NULL),
    ('liveimg-squashfs', 'liveimg compatible squashfs image', 'liveimg.squashfs', NULL),
    ('tlb', 'OLE type library file', 'tlb', NULL),
    ('jnilib', 'Java Native Interface library', 'jnilib', NULL),
    ('yaml', 'YAML Ain''t Markup Language', 'yaml yml', NULL),
    ('xjb', 'JAXB(Java Architecture for XML Binding) Binding Customization File',
        'xjb', NULL),
    ('raw-gz', 'GZIP compressed raw disk image', 'raw.gz', NULL),
    ('qcow2-compressed', 'Compressed QCOW2 image', 'qcow2.gz qcow2.xz', NULL),
    ('iso-compressed', 'Compressed iso image', 'iso.gz iso.xz', NULL),
    ('vhd-compressed', 'Compressed VHD image', 'vhd.gz vhd.xz', NULL),
    ('vhdx-compressed', 'Compressed VHDx image', 'vhdx.gz vhdx.xz', NULL),
    ('vmdk-compressed', 'Compressed VMDK image', 'vmdk.gz vmdk.xz', NULL),
    ('kernel-image', 'Kernel BZ2 Image', 'vmlinuz vmlinuz.gz vmlinuz.xz', NULL),
    ('initramfs', 'Compressed Initramfs Image', 'img', NULL),
    ('checksum', 'Checksum file', 'sha256', NULL),
    ('changes', 'Kiwi changes file', 'changes.xz changes', NULL),
    ('packages', 'Kiwi packages listing', 'packages', NULL),
    ('verified', 'Kiwi verified package list', 'verified', NULL),
    ('erofs', 'erofs image', 'erofs', NULL),
    ('erofs-compressed', 'Compressed erofs image', 'erofs.gz erofs.xz', NULL),
    ('squashfs', 'SquashFS image', 'squashfs', NULL),
    ('squashfs-compressed', 'Compressed SquashFS image', 'squashfs.gz squashfs.xz', NULL),
    ('wsl', 'Compressed tarball for Windows Subsystem for Linux', 'wsl', NULL);

CREATE TABLE archiveinfo (
    id SERIAL NOT NULL PRIMARY KEY,
    type_id INTEGER NOT NULL REFERENCES archivetypes (id),
    btype_id INTEGER REFERENCES btype (id),
    build_id INTEGER NOT NULL REFERENCES build (id),
    buildroot_id INTEGER REFERENCES buildroot (id),
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    checksum TEXT NOT NULL,
    checksum_type INTEGER NOT NULL,
    metadata_only BOOLEAN NOT NULL DEFAULT FALSE,
    extra TEXT
) WITHOUT OIDS;

CREATE INDEX archiveinfo_build_idx ON archiveinfo (build_id);
CREATE INDEX archiveinfo_buildroot_idx ON archiveinfo (buildroot_id);
CREATE INDEX archiveinfo_type_idx ON archiveinfo (type_id);
CREATE INDEX archiveinfo_filename_idx ON archiveinfo (filename);

CREATE TABLE maven_archives (
    archive_id INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo (id),
    group_id TEXT NOT NULL,
    artifact_id TEXT NOT NULL,
    version TEXT NOT NULL
) WITHOUT OIDS;

CREATE TABLE image_archives (
    archive_id INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo (id),
    arch VARCHAR(16) NOT NULL
) WITHOUT OIDS;

-- Rpms contained in an archive (e.g. an image).
CREATE TABLE archive_rpm_components (
    archive_id INTEGER NOT NULL REFERENCES archiveinfo (id),
    rpm_id INTEGER NOT NULL REFERENCES rpminfo (id),
    UNIQUE (archive_id, rpm_id)
) WITHOUT OIDS;

CREATE INDEX rpm_components_idx ON archive_rpm_components (rpm_id);

-- Other archives contained in an archive.
CREATE TABLE archive_components (
    archive_id INTEGER NOT NULL REFERENCES archiveinfo (id),
    component_id INTEGER NOT NULL REFERENCES archiveinfo (id),
    UNIQUE (archive_id, component_id)
) WITHOUT OIDS;

CREATE INDEX archive_components_idx ON archive_components (component_id);

CREATE TABLE buildroot_archives (
    buildroot_id INTEGER NOT NULL REFERENCES buildroot (id),
    archive_id INTEGER NOT NULL REFERENCES archiveinfo (id),
    project_dep BOOLEAN NOT NULL,
    PRIMARY KEY (buildroot_id, archive_id)
) WITHOUT OIDS;

CREATE INDEX buildroot_archives_archive_idx ON buildroot_archives (archive_id);

CREATE TABLE win_archives (
    archive_id INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo (id),
    relpath TEXT NOT NULL,
    platforms TEXT NOT NULL,
    flags TEXT
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- Message outbox of the protonmsg plugin (plain json on purpose)
-- ---------------------------------------------------------------------------

CREATE TABLE proton_queue (
    id SERIAL PRIMARY KEY,
    created_ts TIMESTAMPTZ DEFAULT NOW(),
    address TEXT NOT NULL,
    props JSON NOT NULL,
    body JSON NOT NULL
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- Checksums of signed rpm copies
-- ---------------------------------------------------------------------------

CREATE TABLE rpm_checksum (
    rpm_id INTEGER NOT NULL REFERENCES rpminfo (id),
    sigkey TEXT NOT NULL,
    checksum TEXT NOT NULL UNIQUE,
    checksum_type SMALLINT NOT NULL,
    PRIMARY KEY (rpm_id, sigkey, checksum_type)
) WITHOUT OIDS;

CREATE INDEX rpm_checksum_rpm_id ON rpm_checksum (rpm_id);


-- ---------------------------------------------------------------------------
-- Task scheduler state
-- ---------------------------------------------------------------------------

CREATE TABLE scheduler_task_runs (
    id SERIAL NOT NULL PRIMARY KEY,
    task_id INTEGER REFERENCES task (id) NOT NULL,
    host_id INTEGER REFERENCES host (id) NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW()
) WITHOUT OIDS;

CREATE INDEX scheduler_task_runs_task ON scheduler_task_runs (task_id);
CREATE INDEX scheduler_task_runs_host ON scheduler_task_runs (host_id);
CREATE INDEX scheduler_task_runs_create_time ON scheduler_task_runs (create_time);

CREATE TABLE scheduler_host_data (
    host_id INTEGER REFERENCES host (id) PRIMARY KEY,
    data JSONB
) WITHOUT OIDS;

CREATE TABLE scheduler_sys_data (
    name TEXT NOT NULL PRIMARY KEY,
    data JSONB
) WITHOUT OIDS;

CREATE TABLE scheduler_task_refusals (
    id SERIAL NOT NULL PRIMARY KEY,
    task_id INTEGER REFERENCES task (id) NOT NULL,
    host_id INTEGER REFERENCES host (id) NOT NULL,
    by_host BOOLEAN NOT NULL,
    soft BOOLEAN NOT NULL DEFAULT FALSE,
    msg TEXT,
    time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (task_id, host_id)
) WITHOUT OIDS;

CREATE TABLE scheduler_log_messages (
    id SERIAL NOT NULL PRIMARY KEY,
    task_id INTEGER REFERENCES task (id),
    host_id INTEGER REFERENCES host (id),
    msg_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    msg TEXT NOT NULL
) WITHOUT OIDS;


-- ---------------------------------------------------------------------------
-- Named row locks, taken with SELECT ... FOR UPDATE
-- ---------------------------------------------------------------------------

CREATE TABLE locks (
    name TEXT NOT NULL PRIMARY KEY
) WITHOUT OIDS;

INSERT INTO locks (name) VALUES ('protonmsg-plugin');
INSERT INTO locks (name) VALUES ('scheduler');
INSERT INTO locks (name) VALUES ('repo-queue');


COMMIT WORK;
