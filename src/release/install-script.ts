import { createHash } from 'node:crypto';
import { SlipwayError } from '../core/errors.ts';
import { AGENT_PLATFORMS, type AgentPlatform } from '../core/feed/agent.ts';
import { FeedSession } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';
import { readAgentIndex } from './publish-agent.ts';

/** Single-quotes a value for POSIX sh. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** One executable install.sh may fetch: the newest of a channel, for one architecture. */
export interface PinnedAgent {
  channel: string;
  /** `uname -m`'s family: amd64 or arm64. */
  arch: string;
  version: string;
  path: string;
  sha256: string;
}

export interface InstallScriptOptions {
  url: string;
  rootSha256: string;
  app: string;
  agents: readonly PinnedAgent[];
  /** The channel whose executable serves a channel that carries none (the most stable with one). */
  fallbackChannel: string;
}

/** Where the feed serves a target's bytes (consistent snapshots: <dir>/<sha256>.<name>). */
const blobUrl = (path: string, sha256: string): string => {
  const cut = path.lastIndexOf('/');
  return `targets/${path.slice(0, cut)}/${sha256}.${path.slice(cut + 1)}`;
};

/**
 * The install.sh a feed serves. It needs bash, curl or wget, tar and sha256sum: it fetches the
 * Slipway executable for this machine, checks it against the digest pinned here, checks the
 * feed's first root against its pinned sha256, and hands both to the executable, which verifies
 * its own archive through TUF before it installs anything (`slipway install --agent-archive`).
 */
export function renderInstallScript(o: InstallScriptOptions): string {
  const app = o.app;
  const table = o.agents
    .map((a) => `${a.channel} ${a.arch} ${a.version} ${blobUrl(a.path, a.sha256)} ${a.sha256} ${a.path}`)
    .join('\n');
  return `#!/usr/bin/env bash
# Installs ${app} and its Slipway agent from ${o.url}, verified against the feed's pinned root.
#   curl -fsSL ${o.url}/install.sh | bash -s -- --help
set -euo pipefail
FEED=${sq(o.url)}
ROOT_SHA256=${sq(o.rootSha256)}
APP=${sq(app)}
FALLBACK_CHANNEL=${sq(o.fallbackChannel)}
# channel arch version blob sha256 target: the executables pinned when this script was written.
AGENTS=${sq(`\n${table}\n`)}

usage() {
  cat <<USAGE
Installs ${app} from \${FEED} with its Slipway agent, then runs the agent as a service.

  curl -fsSL \${FEED}/install.sh | bash -s -- [options]

  --channel=NAME    the channel to follow (default: stable)
  --root=DIR        the install root (default: /opt/\${APP} as root, ~/.local/share/\${APP} otherwise)
  --version=X.Y.Z   install this version of the app instead of the newest
  --port=N          the port the app listens on (default: 8080)
  --user=NAME       as root: the system user the agent runs as (created; default: \${APP})
  --no-service      do not write a systemd unit; print the command that runs the agent
  -h, --help        this text

Run it again to upgrade in place. Needs bash, curl or wget, tar and sha256sum; no Node.js.
USAGE
}

fail() { echo "install.sh: $*" >&2; exit 1; }

CHANNEL=stable
ROOT_DIR=
VERSION=
PORT=
RUN_USER=
SERVICE=1
# --name=VALUE or --name VALUE; an empty value (an unset variable, say) is refused, not ignored.
while [ $# -gt 0 ]; do
  arg="$1"; shift
  case "$arg" in
    --channel|--root|--version|--port|--user)
      [ $# -gt 0 ] || { echo "install.sh: $arg needs a value (e.g. $arg=VALUE)" >&2; exit 2; }
      value="$1"; shift; name="\${arg#--}" ;;
    --channel=*|--root=*|--version=*|--port=*|--user=*) value="\${arg#*=}"; name="\${arg%%=*}"; name="\${name#--}" ;;
    --no-service) SERVICE=0; continue ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $arg (expected --channel=, --root=, --version=, --port=, --user=, --no-service, --help)" >&2; exit 2 ;;
  esac
  [ -n "$value" ] || { echo "install.sh: --$name needs a value, got an empty one (e.g. --$name=VALUE)" >&2; exit 2; }
  case "$name" in
    channel) CHANNEL="$value" ;;
    root)
      # ~ is not expanded by the shell after --root=: done here, as a person means it.
      case "$value" in "~") value="$HOME" ;; "~/"*) value="$HOME/\${value#"~/"}" ;; esac
      ROOT_DIR="$value" ;;
    version) VERSION="$value" ;;
    port) PORT="$value" ;;
    user) RUN_USER="$value" ;;
  esac
done

case "$PORT" in
  ''|[1-9]|[1-9][0-9]|[1-9][0-9][0-9]|[1-9][0-9][0-9][0-9]|[1-5][0-9][0-9][0-9][0-9]|6[0-4][0-9][0-9][0-9]|65[0-4][0-9][0-9]|655[0-2][0-9]|6553[0-5]) ;;
  *) echo "install.sh: --port expects a port number from 1 to 65535, got \"$PORT\"" >&2; exit 2 ;;
esac
if [ -n "$RUN_USER" ] && [ "$(id -u)" != 0 ]; then echo "install.sh: --user needs root (only root creates system users)" >&2; exit 2; fi
if [ -n "$RUN_USER" ] && ! [[ "$RUN_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
  echo "install.sh: --user expects a user name such as slipway, got \"$RUN_USER\"" >&2; exit 2
fi
case "$(uname -s)" in
  Linux) ;;
  *) fail "Slipway's executables are for Linux; this is $(uname -s)" ;;
esac
case "$(uname -m)" in
  x86_64|amd64) ARCH=amd64 ;;
  aarch64|arm64) ARCH=arm64 ;;
  *) fail "no Slipway executable for this machine's architecture ($(uname -m)); there are: amd64 (x86_64), arm64 (aarch64)" ;;
esac
command -v sha256sum >/dev/null || fail "sha256sum is needed (coreutils)"
command -v tar >/dev/null || fail "tar is needed"
if command -v curl >/dev/null; then
  # A server that connects but stops sending (or never answers) is given up after 15 s, tried twice.
  fetch() { curl -fsSL --retry 1 --connect-timeout 15 --speed-limit 1 --speed-time 15 -o "$2" "$1"; }
elif command -v wget >/dev/null; then
  fetch() { wget -q --tries=2 --timeout=15 -O "$2" "$1"; }
else
  fail "curl or wget is needed to download from $FEED"
fi

if [ -z "$ROOT_DIR" ]; then
  if [ "$(id -u)" = 0 ]; then ROOT_DIR="/opt/$APP"; else ROOT_DIR="\${XDG_DATA_HOME:-$HOME/.local/share}/$APP"; fi
fi
case "$ROOT_DIR" in /*) ;; *) ROOT_DIR="$PWD/$ROOT_DIR" ;; esac

pick() {
  local ch ar rest
  while read -r ch ar rest; do
    if [ "$ch" = "$1" ] && [ "$ar" = "$ARCH" ]; then echo "$ch $ar $rest"; return; fi
  done <<<"$AGENTS"
}
row="$(pick "$CHANNEL")"
AGENT_CHANNEL="$CHANNEL"
if [ -z "$row" ]; then
  row="$(pick "$FALLBACK_CHANNEL")"
  AGENT_CHANNEL="$FALLBACK_CHANNEL"
fi
[ -n "$row" ] || fail "$FEED carries no Slipway executable for linux/$ARCH"
read -r _ _ AGENT_VERSION AGENT_BLOB AGENT_SHA256 AGENT_TARGET <<<"$row"

tmp="$(mktemp -d)" || fail "cannot make a temporary folder (mktemp -d): set TMPDIR to a writable folder"
trap 'rm -rf "$tmp"' EXIT
echo "install.sh: downloading Slipway $AGENT_VERSION for linux/$ARCH from $FEED"
fetch "$FEED/metadata/1.root.json" "$tmp/root.json" || fail "cannot download $FEED/metadata/1.root.json: is the feed reachable from here?"
got="$(sha256sum "$tmp/root.json" | cut -d' ' -f1)"
[ "$got" = "$ROOT_SHA256" ] || fail "the feed's root.json has sha256 $got, expected $ROOT_SHA256; refusing to install"
fetch "$FEED/$AGENT_BLOB" "$tmp/slipway.tar.gz" || fail "cannot download $FEED/$AGENT_BLOB"
got="$(sha256sum "$tmp/slipway.tar.gz" | cut -d' ' -f1)"
[ "$got" = "$AGENT_SHA256" ] || fail "the Slipway executable has sha256 $got, expected $AGENT_SHA256; refusing to install"
mkdir "$tmp/x"
tar -xzf "$tmp/slipway.tar.gz" -C "$tmp/x" --no-same-owner slipway ||
  fail "the Slipway archive does not unpack into $tmp (it needs about 130 MB free there; set TMPDIR to a folder with room)"
[ -f "$tmp/x/slipway" ] && [ ! -L "$tmp/x/slipway" ] || fail "the Slipway archive holds no executable"
chmod 0755 "$tmp/x/slipway"
ran=0
said="$("$tmp/x/slipway" --version 2>&1)" || ran=$?
if [ "$ran" = 126 ]; then
  # Found but not executable: $tmp is on a file system mounted noexec (a hardened /tmp).
  fail "cannot run programs from $tmp (is its file system mounted noexec?): run again with TMPDIR set to a folder that allows it, e.g. TMPDIR=\$HOME/tmp"
elif [ "$ran" != 0 ]; then
  fail "the Slipway executable does not run on this machine ($(uname -m)): $(printf '%s\\n' "$said" | head -n 1)"
fi

set -- install --feed "$FEED" --channel "$CHANNEL" --root "$ROOT_DIR" --trusted-root "$tmp/root.json" \\
  --agent-archive "$tmp/slipway.tar.gz" --agent-channel "$AGENT_CHANNEL"
if [ -n "$VERSION" ]; then set -- "$@" --version "$VERSION"; fi
if [ -n "$PORT" ]; then set -- "$@" --port "$PORT"; fi
if [ "$SERVICE" = 1 ]; then set -- "$@" --service; fi
if [ -n "$RUN_USER" ]; then
  set -- "$@" --user "$RUN_USER"
elif [ "$(id -u)" = 0 ] && [ ! -e "$ROOT_DIR/bin/slipway" ]; then
  # A first install as root (or one that was cut off before its executable was in place) gets a
  # system user; run again after a whole install, the root keeps the user it has.
  set -- "$@" --user "$APP"
fi
# Not exec: the EXIT trap removes the downloads whatever the installer's outcome.
set +e
"$tmp/x/slipway" "$@"
exit $?
`;
}

/** The platform's `uname -m` family, as install.sh names it. */
const archOf = (platform: AgentPlatform): string => platform.split('/')[1]!;

/**
 * Renders install.sh from what the feed holds now (its first root, each channel's newest
 * executables) and writes it, with the settings it was made with (install-script.json), so that
 * publishing a new agent writes it again.
 */
export async function writeInstallScript(
  store: FeedStore,
  options: { url: string; app: string; dryRun?: boolean },
): Promise<{ script: string; rootSha256: string; agents: PinnedAgent[]; path: string }> {
  // The app's name is the default root's folder and, as root, the system user's name.
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(options.app))
    throw new SlipwayError(
      'USAGE',
      `--app "${options.app}" cannot name a system user and a folder; use lower-case letters, digits, - and _ (e.g. my-app)`,
    );
  const root = await store.read('metadata/1.root.json');
  if (root === null)
    throw new SlipwayError(
      'FEED_NOT_FOUND',
      `${store.location}/metadata/1.root.json is missing: create the feed first (slipway feed init)`,
    );
  const rootSha256 = createHash('sha256').update(root).digest('hex');
  const session = await FeedSession.open(store);
  const channels = await session.channelOrder();
  const agents: PinnedAgent[] = [];
  for (const channel of channels) {
    const index = await readAgentIndex(session, channel);
    // Per architecture, the newest release that has one (a release may be for one platform only).
    for (const p of Object.keys(AGENT_PLATFORMS) as AgentPlatform[]) {
      const newest = index.releases.find((r) => r.artifacts[p] !== undefined);
      const a = newest?.artifacts[p];
      if (newest && a)
        agents.push({ channel, arch: archOf(p), version: newest.version, path: a.path, sha256: a.sha256 });
    }
  }
  if (agents.length === 0)
    throw new SlipwayError(
      'USAGE',
      `${store.location} carries no Slipway executables, and install.sh installs one: build them (npm run build:binaries) and publish them (slipway feed publish-agent <version> dist/bin/slipway-linux-* --channel stable)`,
    );
  const fallbackChannel = [...channels].reverse().find((c) => agents.some((a) => a.channel === c))!;
  const url = options.url.replace(/\/+$/, '');
  const script = renderInstallScript({ url, rootSha256, app: options.app, agents, fallbackChannel });
  if (!options.dryRun) {
    await store.write('install.sh', script, 'text/x-shellscript');
    await store.write(
      'install-script.json',
      `${JSON.stringify({ url, app: options.app }, null, 2)}\n`,
      'application/json',
    );
  }
  return { script, rootSha256, agents, path: `${store.location}/install.sh` };
}

/** After the feed's executables change: install.sh written again when the feed has one. */
export async function refreshInstallScript(store: FeedStore): Promise<string | null> {
  const saved = await store.read('install-script.json');
  if (saved === null) return null;
  const o = JSON.parse(saved.toString('utf8')) as { url: string; app: string };
  return (await writeInstallScript(store, o)).path;
}
